/// What a merge computes, as a method's unit describes it: the global passes before the write,
/// the kernel of the write pass, the outer coefficient and the LiNeS α rule. ``Merger`` plans
/// the passes from it; no method is named outside its unit.
struct MergeRecipe {
    /// The per-task selection found over the whole flattened model before the write.
    enum Selection {
        /// None.
        case none
        /// The exact top-k % threshold of |τ_t| per task.
        case magnitude(percent: Double)
        /// TIES: the thresholds and the majority sign.
        case ties(percent: Double, aggregation: TIESAggregation)
    }

    /// Where the consensus mask comes from.
    enum Consensus {
        case none
        /// Precomputed masks (``MergeOptions/masks``), on where at least `threshold` tasks are on.
        case masks(TallMasks, threshold: Int)
        /// TALL masks built on the fly with per-task λ, on where at least `threshold` are on.
        case tall(lambdas: [Double], threshold: Int)
    }

    /// How LiNeS's α is found when not given.
    enum Alpha {
        /// α = ‖Σ_t τ_t‖₁ / (T·‖τ_MTL‖₁), by the norms.
        case normRatio
        /// Exactly 1/T (τ_MTL = Σ τ_t, so the norm ratio is 1 without computing it).
        case inverseTaskCount
    }

    /// What the write pass produces.
    enum Write {
        /// τ_MTL = base (Σ τ_t or TIES) under the consensus mask, one model.
        case merged(base: _MultiTaskKernel.Base, consensus: Consensus)
        /// Per task, m_t ⊙ Σ τ with m_t = 1[|τ_t| ≥ kth_t], one model per task.
        case perTaskMasked
        /// τ_MTL tensor by tensor from every task's whole τ_t (SVD methods, DARE, Breadcrumbs).
        case perTensor(any TaskVectorTensorMerge)
    }

    var selection: Selection = .none
    var write: Write
    /// λ as applied per key (averaging divides by T).
    var coefficient: Double
    var alpha: Alpha = .normRatio
}
