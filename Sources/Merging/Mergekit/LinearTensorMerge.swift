/// mergekit's `linear`: `Σ wᵢ θᵢ`, divided by `Σ wᵢ` when `normalize` (default true). Every
/// listed model takes part, the base too when it is listed.
public struct LinearTensorMerge: TensorMergeMethod {
    public let name = "linear"
    public let summary = "weighted average Σ wᵢθᵢ (÷ Σ wᵢ with normalize, the default)"
    public let needsBase = false
    public let sharedParameters: [String: Double?] = ["normalize": 1]
    public let modelParameters: [String: Double?] = ["weight": nil]
    public let mergesTaskVectors = false

    public init() {}

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        let n = input.shape.reduce(1, *)
        var result = [Float](repeating: 0, count: n)
        var total: Float = 0
        for (i, model) in input.models.enumerated() {
            let w = Float(input.parameter("weight", model: i))
            total += w
            for j in 0..<n { result[j].addProduct(model[j], w) }  // addcmul_: fused
        }
        if input.flag("normalize") {
            for j in 0..<n { result[j] /= total }
        }
        return result
    }
}
