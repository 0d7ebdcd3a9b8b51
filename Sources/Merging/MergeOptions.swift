/// What to merge and how: the method, its hyper-parameters, and the LiNeS schedule.
public struct MergeOptions: Sendable {
    /// The merge method.
    public var method: MergeMethod
    /// λ, the outer coefficient: θ = θ0 + λ·τ_MTL (with LiNeS, θ0 + λ·LiNeS(τ_MTL); the reference uses 1).
    public var coefficient: Double = 1
    /// Percentage of largest-magnitude entries kept per task (TIES, mag-masking); `nil` takes the
    /// method's reference default (20 for TIES, 10 for mag-masking).
    public var k: Double? { didSet { mark(.k, k != nil) } }
    /// TIES disjoint aggregation.
    public var aggregation: TIESAggregation = .mean { didSet { mark(.aggregation) } }
    /// Consensus: precomputed TALL masks; `nil` builds them on the fly from ``tallLambdas``.
    public var masks: TallMasks? { didSet { mark(.masks, masks != nil) } }
    /// Consensus: a parameter is kept when at least this many tasks' masks are on (`prun_thre_k`).
    public var prunThreK: Int = 2 { didSet { mark(.prunThreK) } }
    /// TALL λ_t: one value for all tasks, or one per task.
    public var tallLambdas: [Double] = [0.4] { didSet { mark(.tallLambda) } }
    /// Consensus and TALL masks: use TIES (k = 20, disjoint sum) instead of Σ τ_t as the base.
    public var useTies: Bool = false { didSet { mark(.useTies, useTies) } }
    /// Iso-CTS: the share of each matrix's rank given to the common subspace.
    public var commonSpaceFraction: Double = 0.8 { didSet { mark(.commonSpaceFraction) } }
    /// DARE: the probability of dropping each entry of τ_t.
    public var dropRate: Double = 0.5 { didSet { mark(.dropRate) } }
    /// Breadcrumbs: the share of entries of τ_t kept per tensor.
    public var density: Double = 0.9 { didSet { mark(.density) } }
    /// Breadcrumbs: the share of the largest |τ_t| dropped per tensor.
    public var gamma: Double = 0.01 { didSet { mark(.gamma) } }
    /// The seed of random methods (DARE).
    public var seed: UInt64 = 0 { didSet { mark(.seed) } }
    /// LiNeS: β, and α (`nil` = norm matching, α = ‖Σ τ̃_t‖₁ / (T·‖τ_MTL‖₁)). `nil` disables LiNeS.
    public var lines: (alpha: Double?, beta: Double)?
    /// A regular expression with one capture group for the block index; `nil` detects the architecture.
    public var layerPattern: String?
    /// Write only the (scaled) merged task vector, not θ0 + it.
    public var taskVectorOnly: Bool = false
    /// With `lines`, compute α (and the report's norms) but write τ_MTL with no scaling at all
    /// (no λ per key, no coefficient): for callers that apply many (α, β) schedules to one merge,
    /// such as `lines run`. Implies nothing about `taskVectorOnly`.
    public var unscaledOutput: Bool = false
    /// Testing: TIES through the separate window and sign-election passes (no fused pass).
    var streamingTIES = false
    /// Testing: this kernel set (capped at what the CPU runs) instead of ``MergeKernels/selected``.
    var kernels: MergeKernels?

    /// The method parameters set since ``init(method:)`` (flag names without dashes): only the
    /// method's own may be set.
    public private(set) var given: Set<String> = []

    private mutating func mark(_ p: MergeParameter, _ set: Bool = true) {
        if set { given.insert(p.name) } else { given.remove(p.name) }
    }

    /// Options for `method` with the reference's defaults.
    public init(method: MergeMethod) {
        self.method = method
    }

    /// The effective k.
    public var effectiveK: Double { k ?? method.defaultK }

    /// Checks option values and combinations before any data is read: each parameter set must be
    /// one of the method's (``MergeMethodInfo/parameters``) and in range, then the method's own
    /// checks. `taskCount` `nil` skips the checks that need it (the CLI, before opening inputs).
    /// - Throws: ``MergeError`` saying which option is wrong.
    /// - Parameter alsoGiven: parameters given whose values are read later (a mask file).
    public func validate(taskCount: Int?, alsoGiven: Set<String> = []) throws {
        let info = method.info
        let given = given.union(alsoGiven)
        for name in given.sorted() where !info.takes(name) {
            let takers = MergeMethod.taking(name).map(\.rawValue)
            let applies = takers.isEmpty ? "no method" : takers.joined(separator: " and ")
            var note = ""
            if name == MergeParameter.k.name && method == .consensus { note = " (consensus with --use-ties uses the reference's fixed k = 20)" }
            if name == MergeParameter.aggregation.name && method == .consensus { note = " (consensus with --use-ties always uses disjoint sum, as the reference)" }
            throw MergeError.invalidOption("--\(name) applies to \(applies) only, not \(method.rawValue)\(note)")
        }
        let k = effectiveK
        guard k > 0, k <= 100, k.isFinite else { throw MergeError.invalidTopK(k) }
        if let taskCount, tallLambdas.count != 1, tallLambdas.count != taskCount {
            throw MergeError.tallLambdaCount(given: tallLambdas.count, tasks: taskCount)
        }
        if lines != nil, !info.linesApplies {
            throw MergeError.invalidOption("--lines does not apply to \(method.rawValue) (the reference has no LiNeS variant of it)")
        }
        if coefficient != 1, !info.takesCoefficient {
            throw MergeError.invalidOption("\(method.rawValue) uses λ = 1/T; use --method sum --coefficient for another λ")
        }
        if prunThreK < 0 { throw MergeError.invalidOption("--prun-thre-k must be ≥ 0; got \(prunThreK)") }
        if !coefficient.isFinite { throw MergeError.invalidOption("--coefficient must be a finite number; got \(coefficient)") }
        if let bad = tallLambdas.first(where: { !$0.isFinite }) {
            throw MergeError.invalidOption("--tall-lambda must be finite numbers; got \(bad)")
        }
        if let (alpha, beta) = lines {
            if let alpha, !alpha.isFinite { throw MergeError.invalidOption("--alpha (LiNeS α) must be a finite number; got \(alpha)") }
            if !beta.isFinite { throw MergeError.invalidOption("--beta (LiNeS β) must be a finite number; got \(beta)") }
        }
        var options = self
        options.given = given
        try MergeMethodRegistry.unit(for: method).validate(options, taskCount: taskCount)
    }
}
