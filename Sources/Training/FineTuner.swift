import CLIP
import Datasets
import Foundation
import Tensors

/// The reference's fine-tuning loop (`finetune.py`, spec §5) on a ``TrainableViT`` under a
/// frozen head: per optimizer step, `gradientAccumulation` batches of `batchSize` training
/// images (``RandomResizedCrop`` + CLIP normalisation), the gradient of their mean
/// cross-entropy, global-norm clipping, the ``LearningRateSchedule`` rate, and an ``AdamW``
/// update.
///
/// Data order: epoch e visits the training set in a permutation drawn from `(seed, e)`, in
/// `ceil(count / batchSize)` batches (the last one shorter, as a `DataLoader` without
/// `drop_last`); the schedule spans `epochs · batches / accumulation` steps unless `steps`
/// is given. Everything random is keyed by seed and position, so resuming is exact.
public final class FineTuner {
    /// One line of the training log.
    public struct LogEntry: Sendable {
        /// Optimizer steps done.
        public var step: Int
        /// Total optimizer steps.
        public var totalSteps: Int
        /// Epoch of the last batch (from 0).
        public var epoch: Int
        /// Mean loss over the steps since the last entry.
        public var loss: Double
        /// Training accuracy (arg-max of the frozen head) over those steps.
        public var accuracy: Double
        /// Learning rate of the last step.
        public var learningRate: Double
        /// Global gradient norm before clipping, last step.
        public var gradientNorm: Double
        /// Training images per second since the last entry (preprocessing included).
        public var imagesPerSecond: Double
    }

    /// The model being trained (updated in place).
    public let model: TrainableViT
    /// The hyper-parameters.
    public let recipe: FineTuneRecipe
    /// The training data.
    public let data: TrainingSet
    /// The optimizer, with its moments.
    public let optimizer: AdamW
    /// The schedule.
    public let schedule: LearningRateSchedule
    /// Batches per epoch.
    public let batchesPerEpoch: Int
    /// Optimizer steps of the whole run.
    public let totalSteps: Int
    /// Optimizer steps done.
    public private(set) var step = 0

    let engine: GradientEngine
    let crop: RandomResizedCrop
    let normalize: CLIPPreprocessor
    let gradient: ParameterBuffer
    private var permutation: (epoch: Int, order: [Int])?

    /// Prepares a run.
    /// - Throws: ``TrainingError`` for an invalid recipe, an empty set, a label outside the
    ///   head, or a head of the wrong width.
    public init(model: TrainableViT, head: ClassificationHead, data: TrainingSet, recipe: FineTuneRecipe) throws {
        try recipe.validate()
        guard data.count > 0 else { throw TrainingError.emptyTrainingSet }
        if let bad = data.labels.firstIndex(where: { $0 < 0 || $0 >= head.classCount }) {
            throw TrainingError.labelOutOfRange(index: bad, label: data.labels[bad], classCount: head.classCount)
        }
        self.model = model
        self.recipe = recipe
        self.data = data
        engine = try GradientEngine(model: model, head: head, labelSmoothing: recipe.labelSmoothing,
                                    microBatch: recipe.microBatch)
        optimizer = AdamW(count: model.layout.count, settings: recipe.optimizer)
        batchesPerEpoch = (data.count + recipe.batchSize - 1) / recipe.batchSize
        totalSteps = recipe.steps ?? max(1, recipe.epochs * batchesPerEpoch / recipe.gradientAccumulation)
        schedule = LearningRateSchedule(base: recipe.learningRate, warmup: recipe.warmup, total: totalSteps)
        crop = RandomResizedCrop(size: model.config.imageSize)
        normalize = CLIPPreprocessor(size: model.config.imageSize)
        gradient = ParameterBuffer(count: model.layout.count)
    }

    /// What a resume state must agree on.
    public var identity: [String: String] {
        [
            "seed": String(recipe.seed), "total_steps": String(totalSteps), "batch_size": String(recipe.batchSize),
            "gradient_accumulation": String(recipe.gradientAccumulation), "train_count": String(data.count),
            "parameters": String(model.layout.count), "model": model.config.description,
            "learning_rate": String(recipe.learningRate), "warmup": String(recipe.warmup),
        ]
    }

    /// Continues from a state written by ``saveState(to:)`` (same recipe, data and model shape).
    /// - Throws: ``TrainingError/incompatibleState(file:key:expected:found:)`` and read errors.
    public func resume(from url: URL) throws {
        step = try TrainingState.load(from: url, into: model, optimizer: optimizer, identity: identity)
    }

    /// Writes the weights, AdamW moments and step to `url`.
    public func saveState(to url: URL) throws {
        try TrainingState.save(to: url, model: model, optimizer: optimizer, step: step, identity: identity)
    }

    private func order(epoch: Int) -> [Int] {
        if let p = permutation, p.epoch == epoch { return p.order }
        var rng = SeededRandom(seed: recipe.seed, 0x5F1E, epoch)
        let order = rng.permutation(data.count)
        permutation = (epoch, order)
        return order
    }

    /// Runs optimizer steps until `until` (default: the end), calling `log` every `logEvery`
    /// steps and at the last, and `checkpoint` every `checkpointEvery` steps.
    public func train(until: Int? = nil, logEvery: Int = 10, checkpointEvery: Int? = nil,
                      checkpoint: ((FineTuner) throws -> Void)? = nil, log: ((LogEntry) -> Void)? = nil) throws {
        let end = min(until ?? totalSteps, totalSteps)
        let per = normalize.valuesPerImage, bs = recipe.batchSize
        let pixels = ParameterBuffer(count: bs * per)
        var windowLoss = 0.0, windowCorrect = 0, windowImages = 0, windowStart = Date()
        while step < end {
            gradient.zero()
            var batches: [(epoch: Int, indices: ArraySlice<Int>, position: Int)] = []
            for k in 0..<recipe.gradientAccumulation {
                let i = step * recipe.gradientAccumulation + k
                let epoch = i / batchesPerEpoch, b = i % batchesPerEpoch
                let order = order(epoch: epoch)
                let lo = b * bs, hi = min(data.count, lo + bs)
                batches.append((epoch, order[lo..<hi], lo))
            }
            let images = batches.reduce(0) { $0 + $1.indices.count }
            var lastEpoch = 0
            for batch in batches {
                try data.trainingPixels(batch.indices, crop: crop, normalize: normalize, seed: recipe.seed,
                                    epoch: batch.epoch, position: batch.position, into: pixels.pointer)
                let labels = batch.indices.map { data.labels[$0] }
                let r = engine.accumulate(pixels: pixels.pointer, labels: labels[...], count: labels.count,
                                          scale: 1 / Float(images), into: gradient)
                windowLoss += r.loss
                windowCorrect += r.correct
                lastEpoch = batch.epoch
            }
            windowImages += images
            let norm = GradientClipping.clip(gradient, maxNorm: recipe.maxGradientNorm)
            let lr = schedule.rate(at: step)
            optimizer.update(model.weights, gradient: gradient, lr: lr)
            step += 1
            if let log, step % max(1, logEvery) == 0 || step == end {
                let seconds = Date().timeIntervalSince(windowStart)
                log(LogEntry(step: step, totalSteps: totalSteps, epoch: lastEpoch, loss: windowLoss / Double(windowImages),
                             accuracy: Double(windowCorrect) / Double(windowImages), learningRate: lr,
                             gradientNorm: norm, imagesPerSecond: Double(windowImages) / max(seconds, 1e-9)))
                windowLoss = 0; windowCorrect = 0; windowImages = 0; windowStart = Date()
            }
            if let checkpoint, let every = checkpointEvery, every > 0, step % every == 0 || step == end {
                try checkpoint(self)
            }
        }
    }

    /// Top-1 accuracy and mean loss of the current model on `set` (evaluation transform: resize,
    /// centre crop, normalise), in batches of `batchSize`.
    /// - Throws: the first decoding error of a sample.
    public func evaluate(_ set: TrainingSet, batchSize: Int = 64) throws -> (accuracy: Double, loss: Double) {
        guard set.count > 0 else { return (0, 0) }
        let pre = CLIPPreprocessor(size: model.config.imageSize)
        let per = pre.valuesPerImage, bs = max(1, batchSize)
        let pixels = ParameterBuffer(count: bs * per)
        var correct = 0, loss = 0.0, start = 0
        while start < set.count {
            let end = min(set.count, start + bs)
            try set.evaluationPixels(start..<end, preprocess: pre, into: pixels.pointer)
            let r = engine.evaluate(pixels: pixels.pointer, labels: set.labels[start..<end], count: end - start)
            correct += r.correct
            loss += r.loss
            start = end
        }
        return (Double(correct) / Double(set.count), loss / Double(set.count))
    }
}
