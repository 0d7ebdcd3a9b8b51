extension MergeMethod {
    /// Iso-C: the summed task matrix with its spectrum flattened.
    public static let isoC = MergeMethod(registering: "iso-c")
}

/// Isotropic merging in the common subspace (Iso-C, Marczak et al., ICML 2025; ``IsoCMerge``):
/// θ0 + λ·τ_Iso-C, λ over `linspace(0, 3, 31)[1:]` as the authors do. With LiNeS, α is the norm
/// ratio and β runs over the same grid.
struct IsoCMethod: MergeMethodUnit {
    let method = MergeMethod.isoC
    let info = MergeMethodInfo(summary: "per matrix, Σ_t τ_t with every singular value set to their mean (Iso-C); other tensors averaged",
                               parameters: [], linesApplies: true, output: .model,
                               runName: "iso_c", runGrid: .svd, readsTallMasks: false, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        try MethodChecks.requireTwoTasks(method, taskCount)
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(IsoCMerge()), coefficient: options.coefficient)
    }
}
