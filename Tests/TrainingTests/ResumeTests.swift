import CLIP
import Checkpoints
import Datasets
import Foundation
import Tensors
import Testing
@testable import Training
import TestSupport

/// Stopping, saving the state and resuming gives the run an uninterrupted run gives, and a saved
/// tower is what `CLIP.VisionTransformer` loads.
@Suite("fine-tuning state: resume and saved checkpoints")
struct ResumeTests {
    static let config = VisionTransformerConfig(width: 16, layers: 1, heads: 2, patchSize: 4, imageSize: 12, outputDim: 8)

    /// 40 random 14×13 RGB images in 3 classes (the crop resizes them to 12×12).
    static func data() -> TrainingSet {
        var rng = SeededRandom(seed: 9)
        let images = (0..<40).map { _ in
            RGBImage(width: 14, height: 13, pixels: (0..<(14 * 13 * 3)).map { _ in UInt8(rng.int(below: 256)) })
        }
        return TrainingSet(images: images, labels: (0..<40).map { $0 % 3 })
    }

    static func tuner(_ model: TrainableViT) throws -> FineTuner {
        var recipe = FineTuneRecipe(epochs: 3)
        recipe.batchSize = 16
        recipe.gradientAccumulation = 2
        recipe.learningRate = 1e-3
        recipe.warmup = 2
        recipe.microBatch = 3
        recipe.seed = 5
        return try FineTuner(model: model, head: try RandomHead.make(classes: 3, dim: 8, seed: 1), data: data(), recipe: recipe)
    }

    @Test("a run stopped at step 2, saved and resumed ends bit-identical to an uninterrupted run")
    func resumeIsExact() throws {
        let uninterrupted = try Self.tuner(TrainableViT(config: Self.config, seed: 3))
        #expect(uninterrupted.totalSteps == 4)  // 3 epochs × 3 batches / 2
        try uninterrupted.train()

        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = folder.appendingPathComponent("state.safetensors")
        let first = try Self.tuner(TrainableViT(config: Self.config, seed: 3))
        try first.train(until: 2)
        try first.saveState(to: state)
        let second = try Self.tuner(TrainableViT(config: Self.config, seed: 3))
        try second.resume(from: state)
        #expect(second.step == 2 && second.optimizer.step == 2)
        try second.train()
        #expect(second.model.weights.array == uninterrupted.model.weights.array)
        #expect(second.model.weights.array != first.model.weights.array)
    }

    @Test("a state written with another seed is refused, naming the key")
    func incompatibleState() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let state = folder.appendingPathComponent("state.safetensors")
        let tuner = try Self.tuner(TrainableViT(config: Self.config, seed: 3))
        var identity = tuner.identity
        identity["seed"] = "6"
        try TrainingState.save(to: state, model: tuner.model, optimizer: tuner.optimizer, step: 1, identity: identity)
        #expect(throws: TrainingError.incompatibleState(file: state.path, key: "seed", expected: "5", found: "6")) {
            try tuner.resume(from: state)
        }
    }

    @Test("the saved tower loads in CLIP.VisionTransformer and gives the trainable model's features (1e-5)")
    func savedCheckpointLoads() throws {
        let model = TrainableViT(config: Self.config, seed: 4)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("nonlinear_finetuned.safetensors")
        try model.save(to: url)
        let encoder = try VisionTransformer(checkpoint: url, heads: 2)  // a state dict does not record heads
        #expect(encoder.layout.prefix == "model.visual.")
        #expect(encoder.config == Self.config)
        var rng = SeededRandom(seed: 2)
        let pixels = (0..<(5 * 3 * 12 * 12)).map { _ in Float(rng.normal()) }
        let expected = try encoder.encode(Tensor(shape: [5, 3, 12, 12], scalars: pixels))
        let ws = TrainingWorkspace(config: Self.config, capacity: 5)
        pixels.withUnsafeBufferPointer { model.forward(pixels: $0.baseAddress!, count: 5, workspace: ws) }
        let got = Array(UnsafeBufferPointer(start: ws.features.pointer, count: 5 * 8))
        #expect(relativeMaxError(got, expected.scalars) <= 1e-5)
    }

    @Test("the schedule is the reference's cosine_lr: warmup (s+1)/500, then cosine to 0")
    func schedule() {
        let s = LearningRateSchedule(base: 1e-5, warmup: 500, total: 2000)
        #expect(abs(s.rate(at: 0) - 1e-5 / 500) < 1e-18)
        #expect(abs(s.rate(at: 499) - 1e-5) < 1e-18)
        #expect(abs(s.rate(at: 500) - 1e-5) < 1e-18)
        #expect(abs(s.rate(at: 1250) - 0.5e-5) < 1e-15)
        #expect(s.rate(at: 1999) < 1e-9)
    }

    @Test("the per-task epochs are spec §5's table")
    func epochsTable() {
        let expected: [TaskName: Int] = [.cars: 35, .dtd: 76, .eurosat: 12, .gtsrb: 11, .mnist: 5, .resisc45: 15, .sun397: 14,
                                         .svhn: 4, .cifar10: 6, .cifar100: 6, .stl10: 60, .food101: 4, .flowers102: 147,
                                         .fer2013: 10, .pcam: 1, .oxfordIIITPet: 82, .renderedSST2: 39, .emnist: 2,
                                         .fashionMNIST: 5, .kmnist: 5]
        for task in TaskName.allCases { #expect(FineTuneRecipe.epochs(for: task) == expected[task], "\(task)") }
    }

    @Test("RandomResizedCrop keeps 90–100% of the area within the aspect-ratio range")
    func cropBox() {
        let crop = RandomResizedCrop(size: 8)
        var rng = SeededRandom(seed: 1)
        for _ in 0..<200 {
            let b = crop.box(width: 100, height: 80, using: &rng)
            let area = Double(b.width * b.height) / 8000
            #expect(area >= 0.88 && area <= 1.0, "area fraction \(area)")
            #expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= 100 && b.y + b.height <= 80)
        }
    }
}
