extension MergeMethod {
    /// Magnitude masking (TALL paper baseline): per task θ0 + m_t ⊙ Σ τ, m_t = top-k % of |τ_t|.
    public static let magMasking = MergeMethod(registering: "mag-masking")
}

/// Magnitude masking (the TALL paper's baseline): one model per task, θ0 + λ·(m_t ⊙ Σ τ) with
/// m_t = 1[|τ_t| ≥ its exact top-k % threshold]; no LiNeS variant in the reference.
struct MagMaskingMethod: MergeMethodUnit {
    let method = MergeMethod.magMasking
    let info = MergeMethodInfo(summary: "per task θ0 + m_t ⊙ Σ τ, m_t = top --k % (default 10) of |τ_t|; -o is a folder",
                               parameters: [MergeParameter.k.withDefault(percent: 10)], linesApplies: false, output: .modelPerTask,
                               runName: "mag_masking", runGrid: .one, readsTallMasks: false, takesCoefficient: true)

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(selection: .magnitude(percent: options.effectiveK), write: .perTaskMasked, coefficient: options.coefficient)
    }
}
