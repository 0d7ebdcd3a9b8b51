import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging

/// Tests/Fixtures/merge, written by `python3 Scripts/fixtures/merge_fixtures.py`.
let mergeFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/merge")
let fixtureTaskNames = ["EuroSAT", "DTD", "MNIST", "SVHN"]

func fixtureInputs(tasks: [String] = fixtureTaskNames) throws -> MergeInputs {
    try MergeInputs(pretrained: mergeFixtures.appendingPathComponent("zeroshot.safetensors"),
                    finetuned: tasks.map { TaskCheckpoint(argument: mergeFixtures.appendingPathComponent("\($0)Val/nonlinear_finetuned.safetensors").path) })
}

func expected(_ name: String) -> URL { mergeFixtures.appendingPathComponent("expected/\(name)") }

/// The reference script's JSON report for a case.
func expectedReport(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: expected("\(name).json"))
    return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
}

/// Largest |a − b| over every tensor of two checkpoints with the same keys.
func maxAbsDifference(_ a: URL, _ b: URL) throws -> Float {
    let ra = try Checkpoint.open(a), rb = try Checkpoint.open(b)
    #expect(Set(ra.tensors.map(\.name)) == Set(rb.tensors.map(\.name)))
    var worst: Float = 0
    for info in ra.tensors {
        let x = try ra.readFloat(info.name).scalars, y = try rb.readFloat(info.name).scalars
        #expect(x.count == y.count)
        for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)) }
    }
    return worst
}

/// Largest |τ_t| over the fixture tasks.
func fixtureMaxTau() throws -> Float {
    let inputs = try fixtureInputs()
    var m: Float = 0
    for info in inputs.tensors {
        let b = try inputs.pretrained.readFloat(info.name).scalars
        for f in inputs.finetuned {
            for (x, y) in zip(try f.readFloat(info.name).scalars, b) { m = max(m, abs(x - y)) }
        }
    }
    return m
}

/// Writes a tiny model: `tensors` maps key → values (shape [n]), F32 unless `dtype` says otherwise.
@discardableResult
func writeModel(_ url: URL, _ tensors: [String: [Float]], dtype: DType = .f32) throws -> URL {
    let items = tensors.keys.sorted().map { k in (k, StoredTensor(Tensor(shape: [tensors[k]!.count], scalars: tensors[k]!), as: dtype)) }
    try SafetensorsWriter.save(items, to: url)
    return url
}
