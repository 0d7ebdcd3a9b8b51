extension MergeMethod {
    /// Task Arithmetic: τ_MTL = Σ_t τ_t.
    public static let sum = MergeMethod(registering: "sum")
}

/// Task Arithmetic (spec §2.2): one pass; with LiNeS α = 1/T exactly (the norm ratio is 1).
struct SumMethod: MergeMethodUnit {
    let method = MergeMethod.sum
    let info = MergeMethodInfo(summary: "τ_MTL = Σ τ_t (Task Arithmetic)", parameters: [], linesApplies: true, output: .model,
                               runName: "sum", runGrid: .taskArithmetic, readsTallMasks: false, takesCoefficient: true)

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .merged(base: .sum, consensus: .none), coefficient: options.coefficient, alpha: .inverseTaskCount)
    }
}
