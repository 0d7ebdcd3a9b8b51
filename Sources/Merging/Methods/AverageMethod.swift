extension MergeMethod {
    /// Weight averaging: Σ_t τ_t with λ = 1/T.
    public static let average = MergeMethod(registering: "average")
}

/// Weight averaging: Task Arithmetic at λ = 1/T; the reference has no LiNeS variant of it.
struct AverageMethod: MergeMethodUnit {
    let method = MergeMethod.average
    let info = MergeMethodInfo(summary: "Σ τ_t / T (weight averaging)", parameters: [], linesApplies: false, output: .model,
                               runName: "average", runGrid: .inverseTaskCount, readsTallMasks: false, takesCoefficient: false)

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .merged(base: .sum, consensus: .none), coefficient: options.coefficient / Double(taskCount))
    }
}
