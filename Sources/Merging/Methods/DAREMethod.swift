extension MergeMethod {
    /// DARE: drop each entry of τ_t with probability p, rescale by 1/(1 − p), sum.
    public static let dare = MergeMethod(registering: "dare")
}

/// DARE + Task Arithmetic on the reference's checkpoints (``SparsifiedSumMerge``): θ0 + λ·Σ_t
/// DARE(τ_t), seeded (`--seed`): the same seed gives the same bits whatever the thread count.
/// λ over the Task Arithmetic grid; with LiNeS, α = ‖Σ_t τ_t‖₁ / (T·‖τ_MTL‖₁) (the untrimmed
/// τ_t, as for TIES) and β over the same grid.
struct DAREMethod: MergeMethodUnit {
    let method = MergeMethod.dare
    let info = MergeMethodInfo(summary: "Σ_t τ_t with each entry dropped with probability --drop-rate (default 0.5, FusionBench's for CLIP) and the rest scaled by 1/(1−p) (DARE)",
                               parameters: [.dropRate, .seed], linesApplies: true, output: .model,
                               runName: "dare", runGrid: .taskArithmetic, readsTallMasks: false, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        try MethodChecks.requireFraction(method, .dropRate, options.dropRate, in: 0...1, openUpper: true)
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(SparsifiedSumMerge(rule: .dare(dropRate: options.dropRate))), coefficient: options.coefficient)
    }
}
