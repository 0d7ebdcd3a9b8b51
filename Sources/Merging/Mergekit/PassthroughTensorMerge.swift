/// mergekit's `passthrough`: the one listed model's tensor, times its `scale` when given.
public struct PassthroughTensorMerge: TensorMergeMethod {
    public let name = "passthrough"
    public let summary = "one model's tensors, optionally times scale"
    public let needsBase = false
    public let sharedParameters: [String: Double?] = [:]
    public let modelParameters: [String: Double?] = ["scale": 1]
    public let mergesTaskVectors = false
    public var modelCount: Int? { 1 }

    public init() {}

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard input.models.count == 1 else { throw .invalidOption("passthrough takes exactly one model") }
        let scale = input.parameter("scale", model: 0)
        if scale == 1 { return input.models[0] }
        let s = Float(scale)
        return input.models[0].map { $0 * s }
    }
}
