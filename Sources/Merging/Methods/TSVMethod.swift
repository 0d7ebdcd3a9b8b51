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
        try SVDMethods.requireTwoTasks(method, taskCount)
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(write: .perTensor(TSVMerge()), coefficient: options.coefficient)
    }
}

/// Checks shared by the SVD methods.
enum SVDMethods {
    /// The SVD methods combine subspaces of several tasks: one task is refused by name.
    static func requireTwoTasks(_ method: MergeMethod, _ taskCount: Int?) throws {
        if let taskCount, taskCount < 2 {
            throw MergeError.invalidOption("\(method.rawValue) merges the subspaces of at least 2 task vectors; got \(taskCount) (use lines edit for one)")
        }
    }

    /// A fraction parameter in `range`.
    static func requireFraction(_ method: MergeMethod, _ p: MergeParameter, _ value: Double, in range: ClosedRange<Double>,
                                openUpper: Bool = false, openLower: Bool = false) throws {
        let ok = value.isFinite && range.contains(value) && !(openUpper && value == range.upperBound) && !(openLower && value == range.lowerBound)
        if !ok {
            let lo = openLower ? "(" : "[", hi = openUpper ? ")" : "]"
            throw MergeError.invalidOption("\(method.rawValue): \(p.flag) must be in \(lo)\(range.lowerBound), \(range.upperBound)\(hi); got \(value)")
        }
    }
}
