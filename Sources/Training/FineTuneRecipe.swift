import Datasets

/// The fine-tuning hyper-parameters; defaults are the reference's `finetune.py` (spec §5).
public struct FineTuneRecipe: Sendable, Equatable {
    /// Base learning rate (1e-5).
    public var learningRate: Double = 1e-5
    /// Linear warmup steps (500).
    public var warmup: Int = 500
    /// AdamW weight decay, betas and eps (0.1, 0.9, 0.999, 1e-8).
    public var optimizer = AdamW.Settings()
    /// Images per batch (128 for ViT-B; 64 with accumulation 2 for ViT-L).
    public var batchSize: Int = 128
    /// Batches per optimizer step (1; 2 for ViT-L). The step's gradient is that of the mean
    /// loss over all its images; a sum of per-batch means (one `loss.backward()` per batch) is
    /// this times the batch count, which global-norm clipping and Adam's scale invariance make
    /// (nearly) the same update.
    public var gradientAccumulation: Int = 1
    /// Passes over the training set (per-task table, ``epochs(for:)``).
    public var epochs: Int = 1
    /// Optimizer steps to run instead of `epochs` (the schedule then spans these steps).
    public var steps: Int?
    /// Label smoothing ε (0).
    public var labelSmoothing: Double = 0
    /// Global gradient-norm clipping (1.0).
    public var maxGradientNorm: Double = 1
    /// Seed of the shuffles and crops.
    public var seed: UInt64 = 0
    /// Images per forward/backward pass per worker (memory bound; no effect on the result
    /// beyond float rounding).
    public var microBatch: Int = 16

    /// The reference recipe with `epochs` passes.
    public init(epochs: Int = 1) { self.epochs = epochs }

    /// Epochs of the reference for `task` (spec §5's table); 1 for a custom task.
    public static func epochs(for task: TaskName) -> Int {
        switch task {
        case .cars: return 35
        case .dtd: return 76
        case .eurosat: return 12
        case .gtsrb: return 11
        case .mnist: return 5
        case .resisc45: return 15
        case .sun397: return 14
        case .svhn: return 4
        case .cifar10: return 6
        case .cifar100: return 6
        case .stl10: return 60
        case .food101: return 4
        case .flowers102: return 147
        case .fer2013: return 10
        case .pcam: return 1
        case .oxfordIIITPet: return 82
        case .renderedSST2: return 39
        case .emnist: return 2
        case .fashionMNIST: return 5
        case .kmnist: return 5
        case .custom: return 1
        }
    }

    /// Checks the values. - Throws: ``TrainingError/badRecipe(_:)``.
    public func validate() throws {
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.badRecipe("learning rate \(learningRate) must be positive") }
        guard warmup >= 0 else { throw TrainingError.badRecipe("warmup \(warmup) must not be negative") }
        guard batchSize > 0, gradientAccumulation > 0, microBatch > 0 else {
            throw TrainingError.badRecipe("batch size \(batchSize), accumulation \(gradientAccumulation) and micro-batch \(microBatch) must be positive")
        }
        guard epochs > 0 || (steps ?? 0) > 0 else { throw TrainingError.badRecipe("give a positive number of epochs or steps") }
        if let steps, steps <= 0 { throw TrainingError.badRecipe("steps \(steps) must be positive") }
        guard (0..<1).contains(labelSmoothing) else { throw TrainingError.badRecipe("label smoothing \(labelSmoothing) must be in [0, 1)") }
        guard maxGradientNorm > 0 else { throw TrainingError.badRecipe("gradient clipping norm \(maxGradientNorm) must be positive") }
    }
}
