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
        // Every model's weighted delta, model t at rows + t·n.
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: max(1, T * n))
        defer { rows.deallocate() }
        var weights: [Float] = []
        for (i, model) in input.models.enumerated() {
            var delta = [Float](unsafeUninitializedCapacity: n) { d, count in
                model.withUnsafeBufferPointer { m in base.withUnsafeBufferPointer { b in for j in 0..<n { d[j] = m[j] - b[j] } } }
                count = n
            }
            let density = input.parameter("density", model: i)
            var random = _TensorRandom(seed: input.seed, stream: i)
            switch sparsification {
            case nil: break
            case .magnitude: Sparsify.magnitude(&delta, density: density, rescale: rescale)
            case .random: Sparsify.bernoulli(&delta, density: density, rescale: rescale, random: &random)
            case .magnitudeOutliers:
                Sparsify.magnitudeOutliers(&delta, density: density, gamma: input.parameter("gamma", model: i), rescale: rescale)
            case .dellaMagprune:
                delta = try Sparsify.dellaMagprune(delta, shape: input.shape, density: density,
                                                   epsilon: input.parameter("epsilon", model: i), rescale: rescale, random: &random)
            }
            let w = Float(input.parameter("weight", model: i))
            let row = rows + i * n
            delta.withUnsafeBufferPointer { d in for j in 0..<n { row[j] = d[j] * w } }
            weights.append(w)
        }
        let normalize = input.flag("normalize"), lambda = input.parameters["lambda"] ?? 1, l = Float(lambda)
        var out = base
        out.withUnsafeMutableBufferPointer { o in
            guard let ob = o.baseAddress else { return }
            if consensus {
                Self.consensusMerge(rows: rows, models: T, count: n, weights: weights, normalize: normalize,
                                    lambda: lambda == 1 ? nil : l, into: ob)
            } else {
                Self.linearMerge(rows: rows, models: T, count: n, weights: weights, normalize: normalize,
                                 lambda: lambda == 1 ? nil : l, into: ob)
            }
        }
        return out
    }

    /// What `normalize` divides by: Σ_t w_t in model order, 1 where its magnitude is below 1e-8.
    static func normalizingDivisor(_ weights: [Float]) -> Float {
        var total: Float = weights[0]
        for t in 1..<weights.count { total += weights[t] }
        return abs(total) < 1e-8 ? 1 : total
    }

    /// Task arithmetic's merge into `out` (which holds the base): per entry `m = δ₀ + δ₁ + …` (in
    /// model order), `/ Σ wₜ` with `normalize` (below 1e-8: 1), `· λ`, added. `rows` is overwritten
    /// (the sum is taken a model at a time, so that it vectorizes).
    static func linearMerge(rows: UnsafeMutablePointer<Float>, models T: Int, count n: Int, weights: [Float], normalize: Bool,
                            lambda: Float?, into out: UnsafeMutablePointer<Float>) {
        let divisor = normalizingDivisor(weights)
        for t in 1..<T {
            let row = rows + t * n
            for j in 0..<n { rows[j] += row[j] }
        }
        if normalize { for j in 0..<n { rows[j] /= divisor } }
        if let lambda { for j in 0..<n { rows[j] *= lambda } }
        for j in 0..<n { out[j] += rows[j] }
    }

    /// TIES's sign election and disjoint merge into `out` (which holds the base): per entry, the
    /// majority sign of `Σ δₜ` (ties to +), `m = Σ δₜ` and `d = Σ wₜ` over the agreeing models
    /// (in model order), `m / d` (d = 0 → 1) with `normalize`, `· λ`, added to the base. Eight
    /// entries at a time; the same arithmetic per entry as one at a time.
    static func consensusMerge(rows: UnsafePointer<Float>, models T: Int, count n: Int, weights: [Float], normalize: Bool,
                               lambda: Float?, into out: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        var j = 0
        while j + 8 <= n {
            var sum = load(rows + j)
            for t in 1..<T { sum += load(rows + t * n + j) }
            let positive = sum .>= 0
            var m = V(), d = V()
            for t in 0..<T {
                let v = load(rows + t * n + j)
                let agree = (v .> 0) .& positive .| (v .< 0) .& .!positive
                m += V(repeating: 0).replacing(with: v, where: agree)
                d += V(repeating: 0).replacing(with: V(repeating: weights[t]), where: agree)
            }
            if normalize { m /= V(repeating: 1).replacing(with: d, where: d .!= 0) }
            if let lambda { m *= V(repeating: lambda) }
            let o = load(UnsafePointer(out + j)) + m
            UnsafeMutableRawPointer(out + j).storeBytes(of: o, as: V.self)
            j += 8
        }
        while j < n {
            var sum = rows[j]
            for t in 1..<T { sum += rows[t * n + j] }
            let majority: Float = sum >= 0 ? 1 : -1
            var m: Float = 0, d: Float = 0
            for t in 0..<T {
                let v = rows[t * n + j]
                if majority > 0 ? v > 0 : v < 0 { m += v; d += weights[t] }
            }
            if normalize { m /= (d == 0 ? 1 : d) }
            if let lambda { m *= lambda }
            out[j] += m
            j += 1
        }
    }
}
