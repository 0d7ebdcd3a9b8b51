extension MergeMethod {
    /// Iso-CTS: a common and T task-specific subspaces, orthogonalized, spectrum flattened.
    public static let isoCTS = MergeMethod(registering: "iso-cts")
}

/// Isotropic merging in common and task-specific subspaces (Iso-CTS, Marczak et al., ICML 2025;
/// ``IsoCTSMerge``), `--common-space-fraction` (default 0.8, the authors'); λ over
/// `linspace(0, 3, 31)[1:]`. With LiNeS, α is the norm ratio and β runs over the same grid.
struct IsoCTSMethod: MergeMethodUnit {
    let method = MergeMethod.isoCTS
    let info = MergeMethodInfo(summary: "per matrix, the top --common-space-fraction of Σ τ_t's subspace plus each task's own directions, flattened (Iso-CTS)",
                               parameters: [.commonSpaceFraction], linesApplies: true, output: .model,
                               runName: "iso_cts", runGrid: .svd, readsTallMasks: false, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        try MethodChecks.requireTwoTasks(method, taskCount)
        try MethodChecks.requireFraction(method, .commonSpaceFraction, options.commonSpaceFraction, in: 0...1)
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(IsoCTSMerge(commonSpaceFraction: options.commonSpaceFraction)), coefficient: options.coefficient)
    }
}
