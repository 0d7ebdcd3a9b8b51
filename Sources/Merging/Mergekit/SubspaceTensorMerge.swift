/// The SVD methods under mergekit's configuration format (mergekit itself has none of them):
/// `merge_method: tsv | iso_c | iso_cts` with a `base_model`, `θ_base + lambda · τ_MTL`, τ_MTL
/// from the same kernels as `lines merge --method` (``TSVMerge``, ``IsoCMerge``, ``IsoCTSMerge``).
/// Models' `weight`s do not enter: the authors' methods weigh tasks equally.
public struct SubspaceTensorMerge: TensorMergeMethod {
    public let name: String
    public let summary: String
    public let needsBase = true
    public let sharedParameters: [String: Double?]
    public let modelParameters: [String: Double?] = [:]
    public let mergesTaskVectors = true
    private let make: @Sendable (TensorMergeInput) -> any TaskVectorTensorMerge

    public static let tsv = SubspaceTensorMerge(
        name: "tsv", summary: "TSV-M: per matrix, each model's top 1/T singular components, bases orthogonalized",
        sharedParameters: ["lambda": 1]) { _ in TSVMerge() }
    public static let isoC = SubspaceTensorMerge(
        name: "iso_c", summary: "Iso-C: per matrix, Σ τ with a flat spectrum", sharedParameters: ["lambda": 1]) { _ in IsoCMerge() }
    public static let isoCTS = SubspaceTensorMerge(
        name: "iso_cts", summary: "Iso-CTS: common plus per-model subspaces, flat spectrum",
        sharedParameters: ["lambda": 1, "common_space_fraction": 0.8]) { input in
        IsoCTSMerge(commonSpaceFraction: input.parameters["common_space_fraction"] ?? 0.8)
    }

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard let base = input.base else { throw .invalidOption("\(name) needs a base_model") }
        let T = input.models.count
        guard T >= 2 else { throw .invalidOption("\(name) merges the subspaces of at least 2 models besides the base; got \(T)") }
        let n = base.count
        var taus = [Float](repeating: 0, count: T * n)
        for (t, model) in input.models.enumerated() { for j in 0..<n { taus[t * n + j] = model[j] - base[j] } }
        let kernel = make(input)
        let merged = try taus.withUnsafeBufferPointer { p throws(MergeError) in
            try kernel.merge(p, taskCount: T, name: input.name, shape: input.shape, seed: input.seed)
        }
        let lambda = Float(input.parameters["lambda"] ?? 1)
        return (0..<n).map { base[$0] + lambda * merged[$0] }
    }
}
