/// A merge method computed tensor by tensor, as mergekit's (`mergekit/merge_methods/`): each
/// output tensor from the same tensor of every input, with mergekit's name, parameters and
/// defaults. One value per method in ``TensorMergeRegistry``.
public protocol TensorMergeMethod: Sendable {
    /// mergekit's `merge_method`.
    var name: String { get }
    /// One line for `--help` and errors.
    var summary: String { get }
    /// Whether a `base_model` is required (task-vector methods, SLERP).
    var needsBase: Bool { get }
    /// Whether a `base_model` is used when the config has one (nuslerp: optional); by default
    /// exactly when it is required.
    var usesBase: Bool { get }
    /// Shared parameters and their defaults (`nil`: required).
    var sharedParameters: [String: Double?] { get }
    /// Per-model parameters and their defaults (`nil`: required).
    var modelParameters: [String: Double?] { get }
    /// Whether the result is the base plus a merged task vector, so that LiNeS can scale it by depth.
    var mergesTaskVectors: Bool { get }
    /// Whether it draws random numbers (DARE, DELLA): reproducible from the seed.
    var isRandom: Bool { get }
    /// Exactly this many non-base models, when the method says so (SLERP: 1).
    var modelCount: Int? { get }

    /// The merged tensor.
    func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float]
}

extension TensorMergeMethod {
    public var usesBase: Bool { needsBase }
    public var isRandom: Bool { false }
    public var modelCount: Int? { nil }
}
