import Checkpoints
import Foundation
import Tensors

/// A resumable snapshot of a run: weights θ, AdamW moments m and v, and the number of optimizer
/// steps taken, in one safetensors file (`weights`, `adam.m`, `adam.v` as flat F32 tensors in
/// ``ParameterLayout`` order; the step and what must agree on resume in the metadata).
///
/// Every random choice of a run is keyed by the seed and the step (``SeededRandom``), so the
/// step count is the whole random state: a run resumed from step s continues exactly as the
/// uninterrupted run would.
public struct TrainingState {
    /// Optimizer steps taken.
    public var step: Int
    /// Values that must be the same when resuming (seed, sizes, model shape, recipe).
    public var identity: [String: String]

    /// Writes `model`'s weights and `optimizer`'s moments at `step` to `url`, atomically.
    /// - Throws: ``CheckpointError`` when the file cannot be written.
    public static func save(to url: URL, model: TrainableViT, optimizer: AdamW, step: Int, identity: [String: String]) throws {
        let n = model.layout.count
        let infos = ["weights", "adam.m", "adam.v"].map { TensorInfo(name: $0, dtype: .f32, shape: [n]) }
        var metadata = identity
        metadata["step"] = String(step)
        metadata["format"] = "lines-finetune-state"
        var writer = try SafetensorsWriter(url: url, tensors: infos, metadata: metadata)
        do {
            try writer.write("weights", floats: UnsafeBufferPointer(start: model.weights.pointer, count: n))
            try writer.write("adam.m", floats: UnsafeBufferPointer(start: optimizer.firstMoment.pointer, count: n))
            try writer.write("adam.v", floats: UnsafeBufferPointer(start: optimizer.secondMoment.pointer, count: n))
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Reads `url` into `model` and `optimizer` after checking its identity against `identity`.
    /// - Returns: the step the state was saved at.
    /// - Throws: ``TrainingError/incompatibleState(file:key:expected:found:)`` when a value
    ///   differs, ``TrainingError/missingTensor(file:tensor:)``, or ``CheckpointError``.
    @discardableResult
    public static func load(from url: URL, into model: TrainableViT, optimizer: AdamW, identity: [String: String]) throws -> Int {
        let file = try SafetensorsFile(url: url)
        for (key, value) in identity.sorted(by: { $0.key < $1.key }) {
            let found = file.metadata[key] ?? "(absent)"
            guard found == value else {
                throw TrainingError.incompatibleState(file: url.path, key: key, expected: value, found: found)
            }
        }
        guard let stepText = file.metadata["step"], let step = Int(stepText), step >= 0 else {
            throw TrainingError.incompatibleState(file: url.path, key: "step", expected: "a step count", found: file.metadata["step"] ?? "(absent)")
        }
        let n = model.layout.count
        for (name, buffer) in [("weights", model.weights), ("adam.m", optimizer.firstMoment), ("adam.v", optimizer.secondMoment)] {
            guard file.info(name) != nil else { throw TrainingError.missingTensor(file: url.path, tensor: name) }
            let t = try file.readFloat(name)
            guard t.shape == [n] else { throw TrainingError.shapeMismatch(file: url.path, tensor: name, expected: [n], found: t.shape) }
            t.scalars.withUnsafeBufferPointer { if let b = $0.baseAddress { buffer.pointer.update(from: b, count: n) } }
        }
        optimizer.step = step
        return step
    }
}
