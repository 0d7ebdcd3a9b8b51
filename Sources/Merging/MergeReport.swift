import Foundation

/// What a merge computed: the global quantities, the LiNeS schedule and sparsity figures.
public struct MergeReport: Sendable {
    /// The method used.
    public var method: String
    /// Task names, in order.
    public var tasks: [String]
    /// d: parameters in the flattened model.
    public var parameterCount: Int
    /// Percentage kept per task by the top-k filter (100 = no filter).
    public var k: Double?
    /// Per-task trim threshold (the exact k-th smallest |τ_t|); empty when nothing was trimmed.
    public var thresholds: [Float] = []
    /// Per-task share of parameters kept by the top-k filter.
    public var keptFraction: [Double] = []
    /// TIES: the global majority sign used where the trimmed sum is 0.
    public var majoritySign: Float?
    /// Whether TIES ran in the fused pass (tests check the fast path is the one exercised).
    var fusedTIES = false
    /// ‖Σ_t τ̃_t‖₁ over the flattened model, when computed.
    public var normSummed: Double?
    /// ‖τ_MTL‖₁ over the flattened model, when computed.
    public var normMerged: Double?
    /// The LiNeS schedule, when LiNeS was applied.
    public var schedule: LinesSchedule?
    /// The outer coefficient λ.
    public var coefficient: Double = 1
    /// Share of non-zero values in τ_MTL (before scaling).
    public var nonZeroFraction: Double?
    /// Consensus: share of parameters kept by the consensus mask.
    public var consensusFraction: Double?
    /// TALL masks: share of parameters on, per task.
    public var maskFraction: [Double] = []
    /// Files written.
    public var outputs: [URL] = []

    /// A human-readable summary: α, β, per-block λ, sparsity.
    public var summary: String {
        var lines: [String] = []
        lines.append("method \(method), T = \(tasks.count) (\(tasks.joined(separator: ", "))), d = \(parameterCount)")
        if let k { lines.append(String(format: "k = %g %%", k)) }
        if !thresholds.isEmpty {
            for (i, t) in tasks.enumerated() where i < thresholds.count {
                lines.append(String(format: "  %@: threshold |τ| ≥ %.6g, kept %.4f %%", t, Double(thresholds[i]), 100 * (i < keptFraction.count ? keptFraction[i] : 0)))
            }
        }
        if let m = majoritySign { lines.append(String(format: "majority sign %+.0f", Double(m))) }
        if let a = normSummed { lines.append(String(format: "‖Σ τ̃_t‖₁ = %.6g", a)) }
        if let b = normMerged { lines.append(String(format: "‖τ_MTL‖₁ = %.6g", b)) }
        if let c = consensusFraction { lines.append(String(format: "consensus mask keeps %.4f %% of parameters", 100 * c)) }
        for (i, f) in maskFraction.enumerated() where i < tasks.count {
            lines.append(String(format: "  TALL mask %@: %.4f %% on", tasks[i], 100 * f))
        }
        if let z = nonZeroFraction { lines.append(String(format: "τ_MTL non-zero: %.4f %% (sparsity %.4f %%)", 100 * z, 100 * (1 - z))) }
        if let s = schedule {
            lines.append(String(format: "LiNeS α = %.6f, β = %.6f, L = %d", s.alpha, s.beta, s.layerCount))
            lines.append("per-block λ: " + s.blockLambdas.map { String(format: "%.3f", $0) }.joined(separator: ", ")
                         + String(format: " (non-block keys %.3f)", s.alpha))
        }
        if coefficient != 1 { lines.append(String(format: "coefficient λ = %g", coefficient)) }
        for o in outputs { lines.append("wrote \(o.path)") }
        return lines.joined(separator: "\n")
    }
}
