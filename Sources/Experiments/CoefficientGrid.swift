/// The coefficients a method evaluates on validation, exactly as the reference's numpy grids
/// produce them (spec §1.2–1.3), so that the `val` keys of the results file are the same floats.
public enum CoefficientGrid {
    /// `np.linspace(0.0, 1.0, n_eval_points // 2 + 1)[1:]`: `i · (1/div)` for i = 1…div, the last one 1.0.
    public static func taskArithmetic(nEvalPoints: Int) -> [Double] {
        let num = nEvalPoints / 2 + 1
        let div = num - 1
        guard div > 0 else { return [] }
        let step = 1.0 / Double(div)
        return (1...div).map { $0 == div ? 1.0 : Double($0) * step }
    }

    /// `np.linspace(0.0, 3.0, 31)[1:]`: `i · 0.1` for i = 1…29, then 3.0 (the α grid of the TSV and
    /// Iso authors' code).
    public static let svd: [Double] = (1...30).map { $0 == 30 ? 3.0 : Double($0) * (3.0 / 30) }

    /// `np.arange(0.1, 1.6, 0.1)`: `0.1 + i · 0.1` for i = 0…14 (numpy fills `start + i·delta`).
    public static let ties: [Double] = (0..<15).map { 0.1 + Double($0) * 0.1 }

    /// The single-task LiNeS grid `np.arange(0.0, 1.1, 0.1)[::-1]`: `i · 0.1` for i = 10…0, so
    /// 0.7000000000000001, 0.6000000000000001 and 0.30000000000000004 as numpy makes them;
    /// descending (a tie keeps the larger γ).
    public static let singleTaskGamma: [Double] = (0...10).reversed().map { Double($0) * 0.1 }

    /// TALL mask λ ∈ {0.2, 0.3, 0.4, 0.5, 0.6}: a Python list literal in the reference, not a numpy grid.
    public static let tallMaskLambda: [Double] = [0.2, 0.3, 0.4, 0.5, 0.6]

    /// The coefficients of `config`'s method.
    public static func values(for config: ExperimentConfig) -> [Double] {
        switch config.method {
        case .zeroshot: return [0.0]
        case .tallMask: return config.loadMask ? [1.0] : tallMaskLambda
        case .singleTask:
            if let s = config.specifyLambda { return [s] }
            return config.applyLines ? singleTaskGamma : [1.0]
        case let .merge(method):
            switch method.info.runGrid {
            case .inverseTaskCount: return [1.0 / Double(config.numTasks)]
            case .one: return [1.0]
            case .ties: return config.specifyLambda.map { [$0] } ?? ties
            case .svd: return config.specifyLambda.map { [$0] } ?? svd
            case .taskArithmetic: return config.specifyLambda.map { [$0] } ?? taskArithmetic(nEvalPoints: config.nEvalPoints)
            }
        }
    }
}
