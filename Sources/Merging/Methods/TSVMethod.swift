extension MergeMethod {
    /// TSV-M: per matrix, each task's top 1/T singular components, decorrelated by Procrustes.
    public static let tsv = MergeMethod(registering: "tsv")
}

/// Task Singular Vectors merging (TSV-M, Gargiulo et al., CVPR 2025; ``TSVMerge``): θ0 + λ·τ_TSV
/// with λ tuned over `linspace(0, 3, 31)[1:]` as the authors do. With LiNeS, α is the norm ratio
/// ‖Σ_t τ_t‖₁ / (T·‖τ_TSV‖₁) and β runs over the same grid.
struct TSVMethod: MergeMethodUnit {
    let method = MergeMethod.tsv
    let info = MergeMethodInfo(summary: "per matrix, each task's top 1/T singular components, bases orthogonalized (TSV-M); other tensors averaged",
                               parameters: [], linesApplies: true, output: .model,
                               runName: "tsv", runGrid: .svd, readsTallMasks: false, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        try MethodChecks.requireTwoTasks(method, taskCount)
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(TSVMerge()), coefficient: options.coefficient)
    }
}
