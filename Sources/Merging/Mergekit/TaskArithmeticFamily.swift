/// mergekit's generalized task arithmetic (`generalized_task_arithmetic.py`): per model
/// `δᵢ = sparsify(θᵢ − θ_base) · wᵢ`; with sign consensus only the entries agreeing with
/// `sign(Σ δᵢ)` (ties to +) are summed, divided (with `normalize`) by the summed weights of the
/// agreeing models, else by `Σ wᵢ` (below 1e-8: 1); then `· lambda` and `θ_base +`. This one
/// type is `task_arithmetic`, `ties`, `dare_linear`, `dare_ties`, `breadcrumbs`,
/// `breadcrumbs_ties`, `della` and `della_linear`, exactly as mergekit registers them.
///
/// The sparsification is mergekit's: per tensor, per model (`ties` keeps the top `density` of
/// |δ| of each tensor, not of the whole model as the LiNeS reference's TIES does).
public struct TaskArithmeticFamily: TensorMergeMethod {
    /// How each task vector is thinned before merging.
    public enum Sparsification: Sendable {
        case magnitude, random, magnitudeOutliers, dellaMagprune
    }

    public let name: String
    public let summary: String
    public let sparsification: Sparsification?
    public let consensus: Bool
    public let needsBase = true
    public let sharedParameters: [String: Double?]
    public let modelParameters: [String: Double?]
    public let mergesTaskVectors = true
    public var isRandom: Bool { sparsification == .random || sparsification == .dellaMagprune }

    init(name: String, summary: String, sparsification: Sparsification?, consensus: Bool, normalize: Bool, rescale: Bool) {
        self.name = name
        self.summary = summary
        self.sparsification = sparsification
        self.consensus = consensus
        sharedParameters = ["int8_mask": 0, "normalize": normalize ? 1 : 0, "rescale": rescale ? 1 : 0, "lambda": 1]
        var model: [String: Double?] = ["weight": nil, "density": 1]
        if sparsification == .magnitudeOutliers { model["gamma"] = 0.01 }
        if sparsification == .dellaMagprune { model["epsilon"] = 0.15 }
        modelParameters = model
    }

    public static let taskArithmetic = TaskArithmeticFamily(
        name: "task_arithmetic", summary: "θ_base + λ Σ wᵢ τᵢ (Task Arithmetic)", sparsification: nil, consensus: false, normalize: false, rescale: false)
    public static let ties = TaskArithmeticFamily(
        name: "ties", summary: "per-tensor top-density trim, sign election, disjoint merge (mergekit's TIES)",
        sparsification: .magnitude, consensus: true, normalize: true, rescale: false)
    public static let dareTies = TaskArithmeticFamily(
        name: "dare_ties", summary: "random drop (keep density), L1 rescale, sign election", sparsification: .random, consensus: true, normalize: false, rescale: true)
    public static let dareLinear = TaskArithmeticFamily(
        name: "dare_linear", summary: "random drop (keep density), L1 rescale, task arithmetic", sparsification: .random, consensus: false, normalize: false, rescale: true)
    public static let breadcrumbs = TaskArithmeticFamily(
        name: "breadcrumbs", summary: "drop the top gamma and the smallest |τ| (keep density), task arithmetic", sparsification: .magnitudeOutliers, consensus: false, normalize: false, rescale: false)
    public static let breadcrumbsTies = TaskArithmeticFamily(
        name: "breadcrumbs_ties", summary: "breadcrumbs with sign election", sparsification: .magnitudeOutliers, consensus: true, normalize: false, rescale: false)
    public static let della = TaskArithmeticFamily(
        name: "della", summary: "magnitude-ranked random drop per row (density ± epsilon), rescale, sign election", sparsification: .dellaMagprune, consensus: true, normalize: true, rescale: true)
    public static let dellaLinear = TaskArithmeticFamily(
        name: "della_linear", summary: "della without sign election", sparsification: .dellaMagprune, consensus: false, normalize: false, rescale: true)

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard let base = input.base else { throw .invalidOption("\(name) needs a base_model") }
        let n = base.count, T = input.models.count
        guard T > 0 else { return base }
        let rescale = input.flag("rescale")
        var deltas: [[Float]] = []
        deltas.reserveCapacity(T)
        var weights: [Float] = []
        for (i, model) in input.models.enumerated() {
            var delta = [Float](repeating: 0, count: n)
            for j in 0..<n { delta[j] = model[j] - base[j] }
            let density = input.parameter("density", model: i)
            var random = _TensorRandom(seed: input.seed, stream: i)
            switch sparsification {
            case nil: break
            case .magnitude: delta = Sparsify.magnitude(delta, density: density, rescale: rescale)
            case .random: delta = Sparsify.bernoulli(delta, density: density, rescale: rescale, random: &random)
            case .magnitudeOutliers:
                delta = Sparsify.magnitudeOutliers(delta, density: density, gamma: input.parameter("gamma", model: i), rescale: rescale)
            case .dellaMagprune:
                delta = try Sparsify.dellaMagprune(delta, shape: input.shape, density: density,
                                                   epsilon: input.parameter("epsilon", model: i), rescale: rescale, random: &random)
            }
            let w = Float(input.parameter("weight", model: i))
            for j in 0..<n { delta[j] *= w }
            deltas.append(delta)
            weights.append(w)
        }
        var mixed = deltas[0]
        var divisor = [Float](repeating: 0, count: consensus ? n : 0)
        var scalarDivisor: Float = 1
        if consensus {
            var sum = deltas[0]
            for t in 1..<T { for j in 0..<n { sum[j] += deltas[t][j] } }
            for j in 0..<n {
                let majority: Float = sum[j] >= 0 ? 1 : -1
                var m: Float = 0, d: Float = 0
                for t in 0..<T {
                    let v = deltas[t][j]
                    let s: Float = v > 0 ? 1 : (v < 0 ? -1 : 0)
                    if s == majority { m += v; d += weights[t] }
                }
                mixed[j] = m
                divisor[j] = d == 0 ? 1 : d
            }
        } else {
            for t in 1..<T { for j in 0..<n { mixed[j] += deltas[t][j] } }
            var total: Float = weights[0]
            for t in 1..<T { total += weights[t] }
            scalarDivisor = abs(total) < 1e-8 ? 1 : total
        }
        if input.flag("normalize") {
            if consensus { for j in 0..<n { mixed[j] /= divisor[j] } } else { for j in 0..<n { mixed[j] /= scalarDivisor } }
        }
        let lambda = input.parameters["lambda"] ?? 1
        if lambda != 1 { let l = Float(lambda); for j in 0..<n { mixed[j] *= l } }
        var out = base
        for j in 0..<n { out[j] += mixed[j] }
        return out
    }
}
