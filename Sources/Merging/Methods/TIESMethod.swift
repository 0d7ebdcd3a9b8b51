extension MergeMethod {
    /// TIES-merging: trim top-k % per task over the flattened model, elect signs, disjoint merge.
    public static let ties = MergeMethod(registering: "ties")
}

/// TIES-merging (spec §2.2, `ties_utils.py`): exact per-task top-k over the flattened model, the
/// global majority sign, disjoint aggregation; ‖τ_TIES‖₁ for LiNeS comes with the sign election.
struct TIESMethod: MergeMethodUnit {
    let method = MergeMethod.ties
    let info = MergeMethodInfo(summary: "trim top --k % per task (default 20), elect signs, disjoint --agg (default mean)",
                               parameters: [.k, .aggregation], linesApplies: true, output: .model,
                               runName: "ties", runGrid: .ties, readsTallMasks: false, takesCoefficient: true)

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        MergeRecipe(selection: .ties(percent: options.effectiveK, aggregation: options.aggregation),
                    write: .merged(base: .ties(options.aggregation), consensus: .none), coefficient: options.coefficient)
    }
}
