import Foundation

extension _Engine {
    /// TIES's global quantities.
    struct TIESGlobals {
        var kth: [Float]
        var kept: [Int]
        var majority: Float
        /// ‖Σ_t τ_t‖₁ when asked for.
        var normSummed: Double?
        /// ‖τ_TIES‖₁ (aggregation as given, no consensus) when asked for.
        var normMerged: Double?
        /// Whether the fused pass found them all.
        var fused: Bool
    }

    /// The exact k-th values, the majority sign and the norms TIES needs: by the fused pass when
    /// `fused` (falling back pass by pass, see ``fusedTIES(percent:aggregation:)``), else by the
    /// sampled selection and a sign-election pass.
    func tiesGlobals(percent k: Double, aggregation: TIESAggregation, fused: Bool,
                     normSummed wantSummed: Bool, normMerged wantMerged: Bool) throws -> TIESGlobals {
        var thresholds: (kth: [Float], kept: [Int], normSummed: Double?)?
        if fused {
            switch try fusedTIES(percent: k, aggregation: aggregation) {
            case .notApplicable:
                break
            case .windowMissed:
                let rank = MagnitudeSelection.kthRank(count: inputs.parameterCount, percent: k)
                thresholds = try selectThresholdsByHistograms(percent: k, rank: rank, normSummed: wantSummed)
            case let .thresholds(kth, kept, norm):
                thresholds = (kth, kept, norm)
            case let .merged(m):
                return TIESGlobals(kth: m.kth, kept: m.kept, majority: m.majority, normSummed: wantSummed ? m.normSummed : nil,
                                   normMerged: wantMerged ? m.normMerged : nil, fused: true)
            }
        }
        let sel = try thresholds ?? selectThresholds(percent: k, normSummed: wantSummed)
        let election = try majoritySign(thresholds: _Thresholds(sel.kth), mergedNorm: wantMerged ? aggregation : nil)
        return TIESGlobals(kth: sel.kth, kept: sel.kept, majority: election.sign, normSummed: wantSummed ? sel.normSummed : nil,
                           normMerged: election.normMerged, fused: false)
    }
}
