/// The merge methods of the reference (spec §2.2), named as its Hydra configs name them.
public enum MergeMethod: String, CaseIterable, Sendable {
    /// Task Arithmetic: τ_MTL = Σ_t τ_t.
    case sum
    /// Weight averaging: Σ_t τ_t with λ = 1/T.
    case average
    /// TIES-merging: trim top-k % per task over the flattened model, elect signs, disjoint merge.
    case ties
    /// Consensus merging: τ_MTL = m ⊙ (Σ τ_t or TIES), m = 1[#TALL masks on ≥ prun_thre_k].
    case consensus
    /// Magnitude masking (TALL paper baseline): per task θ0 + m_t ⊙ Σ τ, m_t = top-k % of |τ_t|.
    case magMasking = "mag-masking"

    /// The reference's default `method.k` (percentage kept per task).
    public var defaultK: Double {
        switch self {
        case .ties: return 20
        case .magMasking: return 10
        default: return 100
        }
    }
}

/// How TIES combines the entries that agree with the elected sign (`method.agg`).
public enum TIESAggregation: String, CaseIterable, Sendable {
    /// Their sum divided by their count, the count clamped to at least 1.
    case mean
    /// Their sum.
    case sum
    /// The largest |x| among them times the elected sign.
    case max
}
