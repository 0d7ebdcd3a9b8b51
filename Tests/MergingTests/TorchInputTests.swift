import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// Merges of the reference's own checkpoint files: whole pickled `ImageEncoder` modules saved
/// with `torch.save` (Tests/Fixtures/merge/pt, `Scripts/fixtures/merge_pt_fixtures.py`), the same
/// tensors as the safetensors fixtures.
@Suite("merging .pt inputs")
struct TorchInputTests {
    static func ptInputs() throws -> MergeInputs {
        let dir = mergeFixtures.appendingPathComponent("pt")
        return try MergeInputs(pretrained: dir.appendingPathComponent("zeroshot.pt"),
                               finetuned: fixtureTaskNames.map { TaskCheckpoint(argument: dir.appendingPathComponent("\($0)Val/nonlinear_finetuned.pt").path) })
    }

    static let cases: [(String, (inout MergeOptions) -> Void)] = [
        ("sum", { $0.coefficient = 0.3 }),
        ("ties_lines", { $0.k = 20; $0.lines = (nil, 1.0) }),
        ("consensus_lines", { $0.tallLambdas = [0.4]; $0.lines = (nil, 0.6) }),
        ("consensus_ties_lines", { $0.useTies = true; $0.tallLambdas = [0.3]; $0.lines = (nil, 0.6) }),
        ("mag_masking", { $0.k = 20 }),
    ]

    static func method(_ name: String) -> MergeMethod {
        if name.hasPrefix("sum") { return .sum }
        if name.hasPrefix("ties") { return .ties }
        if name.hasPrefix("mag") { return .magMasking }
        return .consensus
    }

    @Test("a merge of .pt modules gives the bytes of the same merge of safetensors, and copies no tensor data",
          arguments: TorchInputTests.cases.map(\.0))
    func sameBytesNoCopies(name: String) throws {
        var options = MergeOptions(method: Self.method(name))
        Self.cases.first { $0.0 == name }?.1(&options)
        let pt = try Self.ptInputs()
        #expect(pt.pretrained is TorchCheckpoint)
        // Every tensor of the reference's modules is a contiguous little-endian view: usable in place.
        for r in [pt.pretrained] + pt.finetuned {
            for info in r.tensors { #expect(r.mapped(info.name) != nil, "\(info.name) in \(r.url.lastPathComponent)") }
        }
        let dir = try temporaryFolder("merge")
        let fromPT = dir.appendingPathComponent("pt"), fromST = dir.appendingPathComponent("st")
        let isFolder = options.method == .magMasking
        let outPT = isFolder ? fromPT : fromPT.appendingPathExtension("safetensors")
        let outST = isFolder ? fromST : fromST.appendingPathExtension("safetensors")
        _ = try Merger.merge(pt, options: options, to: outPT)
        _ = try Merger.merge(try fixtureInputs(), options: options, to: outST)
        #expect(([pt.pretrained] + pt.finetuned).map(\.copiedBytes) == Array(repeating: 0, count: 1 + pt.taskCount))
        for (a, b) in try Self.files(outPT, outST) {
            #expect(try Data(contentsOf: a) == Data(contentsOf: b), "\(a.lastPathComponent)")
        }
    }

    /// The output file, or every file of an output folder, paired with its counterpart.
    static func files(_ a: URL, _ b: URL) throws -> [(URL, URL)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: a.path, isDirectory: &isDir) else { return [(a, b)] }
        guard isDir.boolValue else { return [(a, b)] }
        let names = try FileManager.default.subpathsOfDirectory(atPath: a.path).sorted()
        var out: [(URL, URL)] = []
        for n in names {
            var d: ObjCBool = false
            let x = a.appendingPathComponent(n)
            if FileManager.default.fileExists(atPath: x.path, isDirectory: &d), !d.boolValue { out.append((x, b.appendingPathComponent(n))) }
        }
        #expect(!out.isEmpty)
        return out
    }

    @Test("readFloat of a .pt module decodes in place: one copy of the values, counted")
    func readFloatCounts() throws {
        let r = try TorchCheckpoint(url: mergeFixtures.appendingPathComponent("pt/zeroshot.pt"))
        let st = try SafetensorsFile(url: mergeFixtures.appendingPathComponent("zeroshot.safetensors"))
        for info in r.tensors {
            #expect(try r.readFloat(info.name) == st.readFloat(info.name), "\(info.name)")
        }
        #expect(r.copiedBytes == r.byteCount)
    }
}
