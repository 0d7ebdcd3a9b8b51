extension MergeMethod {
    /// Model Breadcrumbs: drop the largest and the smallest |τ_t| per tensor, sum.
    public static let breadcrumbs = MergeMethod(registering: "breadcrumbs")
}

/// Model Breadcrumbs + Task Arithmetic on the reference's checkpoints (``SparsifiedSumMerge``),
/// with mergekit's parameters: per tensor and task, the `--gamma` share of largest |τ_t| and the
/// smallest 1 − density − gamma dropped. λ over the Task Arithmetic grid; with LiNeS, α is the
/// norm ratio over the untrimmed τ_t and β over the same grid.
struct BreadcrumbsMethod: MergeMethodUnit {
    let method = MergeMethod.breadcrumbs
    let info = MergeMethodInfo(summary: "Σ_t τ_t keeping, per tensor, the --density (0.9) band below the largest --gamma (0.01) of |τ_t| (Model Breadcrumbs)",
                               parameters: [.density, .gamma], linesApplies: true, output: .model,
                               runName: "breadcrumbs", runGrid: .taskArithmetic, readsTallMasks: false, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        try MethodChecks.requireFraction(method, .density, options.density, in: 0...1, openLower: true)
        try MethodChecks.requireFraction(method, .gamma, options.gamma, in: 0...1)
        if options.density + options.gamma > 1 {
            throw MergeError.invalidOption("breadcrumbs: --density \(options.density) + --gamma \(options.gamma) exceeds 1 (density is the share kept, gamma the share of largest dropped)")
        }
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(SparsifiedSumMerge(rule: .breadcrumbs(density: options.density, gamma: options.gamma))),
                    coefficient: options.coefficient)
    }
}
