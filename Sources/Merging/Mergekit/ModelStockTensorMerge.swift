/// mergekit's `model_stock` (Jang et al. 2024): with `cos θ` the mean pairwise cosine of the
/// models' offsets from the base (over the whole tensor, or per row with `filter_wise`),
/// `t = N cos θ / (1 + (N − 1) cos θ)` (0 where the denominator is below 1e-6) and the output
/// `t · mean(θᵢ) + (1 − t) · θ_base`. Needs a base and at least two models.
public struct ModelStockTensorMerge: TensorMergeMethod {
    public let name = "model_stock"
    public let summary = "base + t·(mean model − base), t from the mean pairwise cosine of the offsets"
    public let needsBase = true
    public let sharedParameters: [String: Double?] = ["filter_wise": 0]
    public let modelParameters: [String: Double?] = [:]
    public let mergesTaskVectors = true

    public init() {}

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard let base = input.base, input.models.count >= 2 else {
            throw .invalidOption("model_stock needs a base_model and at least two other models")
        }
        let n = base.count, count = input.models.count
        let rows = input.flag("filter_wise") && input.shape.count >= 1 && n > 0 ? n / max(1, input.shape.last ?? 1) : 1
        let cols = rows > 0 ? n / rows : 0
        let offsets = input.models.map { m in (0..<n).map { m[$0] - base[$0] } }
        var average = [Float](repeating: 0, count: n)
        for m in input.models { for j in 0..<n { average[j] += m[j] } }
        let c = Float(count)
        for j in 0..<n { average[j] /= c }
        var out = [Float](repeating: 0, count: n)
        for r in 0..<rows {
            let range = (r * cols)..<((r + 1) * cols)
            var cosines: [Float] = []
            for a in 0..<count {
                for b in (a + 1)..<count {
                    var dot = 0.0, na = 0.0, nb = 0.0
                    for j in range {
                        dot += Double(offsets[a][j]) * Double(offsets[b][j])
                        na += Double(offsets[a][j]) * Double(offsets[a][j])
                        nb += Double(offsets[b][j]) * Double(offsets[b][j])
                    }
                    let product = Float(na.squareRoot()) * Float(nb.squareRoot())
                    cosines.append(min(1, max(-1, Float(dot) / max(product, 1e-6))))
                }
            }
            var cosTheta: Float = 0
            for v in cosines { cosTheta += v }
            cosTheta /= Float(cosines.count)
            let denominator = 1 + (c - 1) * cosTheta
            let t: Float = abs(denominator) < 1e-6 ? 0 : (c * cosTheta) / denominator
            for j in range { out[j] = t * average[j] + (1 - t) * base[j] }
        }
        return out
    }
}
