import CLIP
import Datasets
import Foundation
import Testing
@testable import Training
import TestSupport

/// A tiny ViT trained from random init on real MNIST digits (the test set of `../shared/data`,
/// split 8,000 train / 2,000 validation) learns: validation accuracy far above chance.
@Suite("tiny ViT learns MNIST", .enabled(if: sharedDataExists("mnist/t10k-images-idx3-ubyte.gz"),
                                         "../shared/data/mnist is absent; skipped"))
struct MNISTLearningTests {
    static func load() throws -> (train: TrainingSet, validation: TrainingSet) {
        let folder = TestPaths.sharedData.appendingPathComponent("mnist")
        let samples = try TaskLoader.readIDXPair(images: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"),
                                                 labels: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                                 task: .mnist, classCount: 10)
        let images = try samples.map { try $0.decode() }
        let labels = samples.map(\.label)
        let train = TrainingSet(images: Array(images[0..<8000]), labels: Array(labels[0..<8000]))
        let validation = TrainingSet(images: Array(images[8000..<10000]), labels: Array(labels[8000..<10000]))
        return (train, validation)
    }

    @Test("500 steps of batch 32 from random init: validation accuracy above 80% (chance 10%)")
    func learns() throws {
        let (train, validation) = try Self.load()
        let config = VisionTransformerConfig(width: 48, layers: 2, heads: 2, patchSize: 7, imageSize: 28, outputDim: 32)
        let model = TrainableViT(config: config, seed: 1)
        let head = try RandomHead.make(classes: 10, dim: 32, seed: 1)
        var recipe = FineTuneRecipe(epochs: 1)
        recipe.steps = 500
        recipe.batchSize = 32
        recipe.learningRate = 2e-3
        recipe.warmup = 20
        recipe.microBatch = 16
        let tuner = try FineTuner(model: model, head: head, data: train, recipe: recipe)
        let before = try tuner.evaluate(validation)
        var losses: [Double] = []
        try tuner.train(logEvery: 50) { e in
            losses.append(e.loss)
            print("step \(e.step)/\(e.totalSteps) loss \(e.loss) train acc \(e.accuracy) lr \(e.learningRate) \(Int(e.imagesPerSecond)) img/s")
        }
        let after = try tuner.evaluate(validation)
        print("validation accuracy \(before.accuracy) → \(after.accuracy), loss \(before.loss) → \(after.loss)")
        #expect(after.accuracy >= 0.8, "validation accuracy \(after.accuracy) after 500 steps")
        #expect(after.loss < before.loss)
        #expect((losses.last ?? .infinity) < (losses.first ?? 0))
    }
}
