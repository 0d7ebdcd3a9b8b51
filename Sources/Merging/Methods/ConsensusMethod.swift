extension MergeMethod {
    /// Consensus merging: τ_MTL = m ⊙ (Σ τ_t or TIES), m = 1[#TALL masks on ≥ prun_thre_k].
    public static let consensus = MergeMethod(registering: "consensus")
}

/// Consensus merging (spec §2.2): Σ τ_t, or TIES (fixed k = 20, disjoint sum) with `use_ties`,
/// under m = 1[#TALL masks on ≥ prun_thre_k]; masks from a file or built on the fly.
struct ConsensusMethod: MergeMethodUnit {
    let method = MergeMethod.consensus
    let info = MergeMethodInfo(
        summary: "m ⊙ (Σ τ_t, or TIES k=20 disjoint-sum with --use-ties); m = 1[#TALL masks on ≥ --prun-thre-k]; masks from --masks, or built on the fly with --tall-lambda",
        parameters: [.masks, .prunThreK, .tallLambda, .useTies], linesApplies: true, output: .model,
        runName: "consensus", runGrid: .taskArithmetic, readsTallMasks: true, takesCoefficient: true)

    func validate(_ options: MergeOptions, taskCount: Int?) throws {
        let given = options.given
        if given.contains(MergeParameter.masks.name), given.contains(MergeParameter.tallLambda.name) {
            throw MergeError.invalidOption("give either --masks or --tall-lambda, not both")
        }
    }

    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe {
        let consensus: MergeRecipe.Consensus = options.masks.map { .masks($0, threshold: options.prunThreK) }
            ?? .tall(lambdas: options.tallLambdas, threshold: options.prunThreK)
        return MergeRecipe(selection: options.useTies ? .ties(percent: 20, aggregation: .sum) : .none,
                           write: .merged(base: options.useTies ? .ties(.sum) : .sum, consensus: consensus),
                           coefficient: options.coefficient)
    }
}
