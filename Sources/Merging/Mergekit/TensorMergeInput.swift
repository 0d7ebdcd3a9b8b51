import Tensors

/// One tensor of every input of a per-tensor (mergekit-style) merge, in `Float`, with every
/// parameter already evaluated for this tensor.
public struct TensorMergeInput: Sendable {
    /// The tensor's name.
    public var name: String
    /// Its shape (the same in every input).
    public var shape: [Int]
    /// The base model's values, when the merge has a base.
    public var base: [Float]?
    /// The other models' values, in the config's order (the base excluded).
    public var models: [[Float]]
    /// Per model (same order): `weight`, `density`, `gamma`, `epsilon`, … with defaults filled in.
    public var modelParameters: [[String: Double]]
    /// Shared parameters: `lambda`, `normalize`, `rescale`, `t`, … (flags as 0 or 1).
    public var parameters: [String: Double]
    /// The seed of this tensor's random draws (the run's seed and the tensor's name), so random
    /// methods give the same bits whatever the order or thread the tensor is merged on.
    public var seed: UInt64

    public init(name: String, shape: [Int], base: [Float]?, models: [[Float]], modelParameters: [[String: Double]],
                parameters: [String: Double], seed: UInt64) {
        self.name = name
        self.shape = shape
        self.base = base
        self.models = models
        self.modelParameters = modelParameters
        self.parameters = parameters
        self.seed = seed
    }

    /// A shared flag (`normalize`, `rescale`, …).
    public func flag(_ key: String) -> Bool { (parameters[key] ?? 0) != 0 }

    /// Model `i`'s parameter `key` (its default is filled in by the merger).
    public func parameter(_ key: String, model i: Int) -> Double { modelParameters[i][key] ?? 0 }
}

/// The random stream of one tensor and model (``SeededRandom`` keyed by the tensor's seed and the
/// model's index), uniform in [0, 1) with 24 bits (exact in `Float`).
struct _TensorRandom {
    private var generator: SeededRandom

    init(seed: UInt64, stream: Int) {
        generator = SeededRandom(seed: seed, stream)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Float { Float(generator.next() >> 40) * 0x1p-24 }
}
