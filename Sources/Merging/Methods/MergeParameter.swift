/// A hyper-parameter a merge method takes: its name (the `lines merge` flag without dashes), its
/// key under `method.` in `lines run` configs, its kind with its default, and a help line.
public struct MergeParameter: Sendable, Hashable {
    /// What values it takes.
    public enum Kind: Sendable, Hashable {
        /// A percentage in (0, 100], with its default.
        case percentage(default: Double)
        /// A count ≥ 0, with its default.
        case count(default: Int)
        /// One of ``TIESAggregation``, with its default.
        case aggregation(default: TIESAggregation)
        /// Finite numbers: one for all tasks or one per task, with the default.
        case perTaskNumbers(default: Double)
        /// An on/off switch (off by default).
        case flag
        /// A file read before merging.
        case file
        /// A fraction in [0, 1], with its default.
        case fraction(default: Double)
        /// The seed of a random method.
        case seed
    }

    /// The flag name without dashes (`k`, `agg`, `prun-thre-k`).
    public let name: String
    /// The key under `method.` in a `lines run` config, when `lines run` reads it.
    public let runKey: String?
    public let kind: Kind
    /// One help line.
    public let help: String

    /// Percentage of largest |τ_t| kept per task (`method.k`).
    public static let k = MergeParameter(name: "k", runKey: "k", kind: .percentage(default: 20),
                                         help: "percentage of largest |τ_t| kept per task")
    /// TIES disjoint aggregation (`method.agg`).
    public static let aggregation = MergeParameter(name: "agg", runKey: "agg", kind: .aggregation(default: .mean),
                                                   help: "TIES disjoint aggregation: mean, sum, max")
    /// TALL mask file (consensus).
    public static let masks = MergeParameter(name: "masks", runKey: nil, kind: .file,
                                             help: "TALL mask file (.npy from the reference or lines masks, or .safetensors)")
    /// Consensus threshold (`method.prun_thre_k`).
    public static let prunThreK = MergeParameter(name: "prun-thre-k", runKey: "prun_thre_k", kind: .count(default: 2),
                                                 help: "keep parameters on in at least this many task masks")
    /// TALL λ_t for masks built on the fly.
    public static let tallLambda = MergeParameter(name: "tall-lambda", runKey: nil, kind: .perTaskNumbers(default: 0.4),
                                                  help: "TALL λ for masks built on the fly, one value or one per task")
    /// TIES (k = 20, disjoint sum) as the base of consensus (`method.use_ties`).
    public static let useTies = MergeParameter(name: "use-ties", runKey: "use_ties", kind: .flag,
                                               help: "TIES (k = 20, disjoint sum) instead of Σ τ_t as the base (with --masks: masks built with TIES, as the reference's use_ties)")

    /// Iso-CTS: the share of the rank given to the common space (`method.common_space_fraction`).
    public static let commonSpaceFraction = MergeParameter(name: "common-space-fraction", runKey: "common_space_fraction",
                                                           kind: .fraction(default: 0.8),
                                                           help: "Iso-CTS: share of each matrix's rank given to the common subspace, in [0, 1]")
    /// DARE: the drop rate p (`method.drop_rate`).
    public static let dropRate = MergeParameter(name: "drop-rate", runKey: "drop_rate", kind: .fraction(default: 0.5),
                                                help: "DARE: probability p of dropping each entry of τ_t, in [0, 1); kept entries are scaled by 1/(1−p)")
    /// Breadcrumbs: the share of entries kept per tensor (`method.density`).
    public static let density = MergeParameter(name: "density", runKey: "density", kind: .fraction(default: 0.9),
                                               help: "Breadcrumbs: share of |τ_t| entries kept per tensor, in (0, 1] (mergekit's density)")
    /// Breadcrumbs: the share of largest |τ_t| dropped per tensor (`method.gamma`).
    public static let gamma = MergeParameter(name: "gamma", runKey: "gamma", kind: .fraction(default: 0.01),
                                             help: "Breadcrumbs: share of the largest |τ_t| dropped per tensor, in [0, 1] (mergekit's gamma); the smallest 1 − density − gamma are dropped too")
    /// The seed of random methods (`method.seed`).
    public static let seed = MergeParameter(name: "seed", runKey: "seed", kind: .seed,
                                            help: "seed of the random drop (same seed, same bits, whatever the thread count)")

    /// This parameter with another default percentage.
    func withDefault(percent: Double) -> MergeParameter {
        MergeParameter(name: name, runKey: runKey, kind: .percentage(default: percent), help: help)
    }

    /// `--name`.
    public var flag: String { "--" + name }
}
