/// What a merge method takes and produces, as the CLI's help and validation and `lines run` need it.
public struct MergeMethodInfo: Sendable {
    /// What the output of a merge is.
    public enum Output: Sendable, Hashable {
        /// One model: θ0 + λ·τ_MTL.
        case model
        /// One model per task, `<task>.safetensors` in a folder (mag-masking).
        case modelPerTask
    }

    /// The coefficients `lines run` evaluates on validation (spec §1.3); see `CoefficientGrid`.
    public enum RunGrid: Sendable, Hashable {
        /// `np.linspace(0, 1, n_eval_points // 2 + 1)[1:]` (Task Arithmetic, consensus).
        case taskArithmetic
        /// `np.arange(0.1, 1.6, 0.1)` (TIES).
        case ties
        /// 1/T only (averaging).
        case inverseTaskCount
        /// 1.0 only.
        case one
        /// `np.linspace(0, 3, 31)[1:]`: 0.1 … 3.0 (the SVD methods' α, as their authors' code).
        case svd
    }

    /// One help line: what τ_MTL is.
    public let summary: String
    /// The parameters it takes (any other is refused by name).
    public let parameters: [MergeParameter]
    /// Whether LiNeS (`--lines`, `method.apply_lines`) applies: the result is a task vector.
    public let linesApplies: Bool
    /// What `-o` receives.
    public let output: Output
    /// The name `lines run method=` gives it.
    public let runName: String
    /// Its `lines run` coefficient grid.
    public let runGrid: RunGrid
    /// Whether `lines run` reads TALL masks for it (saved by `method=tall_mask`).
    public let readsTallMasks: Bool
    /// Whether the outer coefficient λ may be given (averaging fixes it to 1/T).
    public let takesCoefficient: Bool

    /// Whether `name` (a flag without dashes) is one of its parameters.
    public func takes(_ name: String) -> Bool { parameters.contains { $0.name == name } }
}
