import Experiments
import Foundation

/// Whether the demo's setting is the one the LiNeS paper studies, measured before any verdict
/// is read: strong fine-tuned models far above zero-shot, fine-tuning that forgets, and a merge
/// that works at all. They are reported whatever they say; nothing is tuned to make them hold.
public struct DemoPreconditions: Sendable {
    /// One precondition: what it asks, what was measured, and whether it holds (nil: not measured).
    public struct Check: Sendable, Equatable {
        public var name: String
        public var requirement: String
        public var measured: String
        public var holds: Bool?
    }

    public var checks: [Check]

    /// Every check measured and holding.
    public var allHold: Bool { checks.allSatisfy { $0.holds == true } }

    /// The largest mean normalized zero-shot accuracy (zero-shot ÷ fine-tuned, per task) for
    /// fine-tuning to count as strong, and the smallest drop of the control accuracy (points)
    /// for forgetting to count as clear.
    public static let maxZeroShotShare = 0.75
    public static let minForgetting = 0.02
    /// The largest mean gain of validation accuracy over the last third of the fine-tuning epochs
    /// for the fine-tuned models to count as converged.
    public static let maxLateGain = 0.015

    public init(_ r: DemoResults) {
        let names = r.tasks.map(\.name)
        func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
        func pct(_ v: Double) -> String { String(format: "%.2f %%", 100 * v) }
        var checks: [Check] = []

        // 1. Fine-tuning is strong: zero-shot reaches at most 75 % of it on average.
        let shares = names.compactMap { n -> Double? in
            guard let z = DemoResults.value(r.zeroshot, "test", n + ":top1"), let f = r.finetunedAccuracy[n], f > 0 else { return nil }
            return z / f
        }
        let share = shares.count == names.count ? mean(shares) : nil
        checks.append(Check(name: "strong fine-tuned models",
                            requirement: "mean zero-shot test accuracy ≤ \(Int(100 * Self.maxZeroShotShare)) % of each task's fine-tuned one",
                            measured: share.map { "zero-shot reaches \(pct($0)) of fine-tuned" } ?? "not measured",
                            holds: share.map { $0 <= Self.maxZeroShotShare }))

        // 1b. Fine-tuning converged: the last third of the epochs adds little.
        let gains = names.compactMap { n -> Double? in
            guard let c = r.curves[n], c.count >= 4 else { return nil }
            let e = c.count - 1, from = e - max(1, e / 3)
            return c[e] - c[from]
        }
        if gains.count == names.count, let g = mean(gains) {
            let e = (r.curves.values.first?.count ?? 1) - 1
            checks.append(Check(name: "fine-tuning converged",
                                requirement: "validation accuracy gains at most \(String(format: "%.1f", 100 * Self.maxLateGain)) points on average over the last third of the \(e) epochs",
                                measured: String(format: "%+.2f points (largest %+.2f)", 100 * g, 100 * (gains.max() ?? g)),
                                holds: g <= Self.maxLateGain))
        } else {
            checks.append(Check(name: "fine-tuning converged", requirement: "a training curve per task", measured: "not measured", holds: nil))
        }

        // 2. Fine-tuning forgets: the other tasks' accuracy falls below zero-shot's.
        let zsTest = names.map { DemoResults.value(r.zeroshot, "test", $0 + ":top1") }
        let zsControl = mean(names.indices.compactMap { i in mean(names.indices.filter { $0 != i }.compactMap { zsTest[$0] }) })
        let ftControl = mean(r.singleTask.compactMap { DemoResults.value($0.finetuned, "test", "control_accuracy") })
        var forgetting: Check
        if let z = zsControl, let f = ftControl, !r.singleTask.isEmpty {
            forgetting = Check(name: "fine-tuning forgets",
                               requirement: "fine-tuned control accuracy at least \(Int(100 * Self.minForgetting)) points below zero-shot's",
                               measured: "control \(pct(f)) fine-tuned vs \(pct(z)) zero-shot (\(String(format: "%+.2f", 100 * (f - z))) points)",
                               holds: z - f >= Self.minForgetting)
        } else {
            forgetting = Check(name: "fine-tuning forgets", requirement: "fine-tuned control accuracy below zero-shot's", measured: "not measured", holds: nil)
        }
        checks.append(forgetting)

        // 3. Merging works: Task Arithmetic's coefficient is interior and it beats zero-shot.
        if let ta = r.merges.first(where: { $0.method == "TA" && !$0.lines }) {
            let grid = DemoResults.validationCurve(ta.outcome, metric: "avg_normalized_top1").map(\.label)
            let interior = grid.count > 2 && ta.outcome.selected != grid.first && ta.outcome.selected != grid.last
            let taNorm = DemoResults.value(ta.outcome, "test", "avg_normalized_top1")
            let zsNorm = DemoResults.value(r.zeroshot, "test", "avg_normalized_top1")
            let above = taNorm.flatMap { t in zsNorm.map { t > $0 } }
            let edge = grid.isEmpty ? "" : " (grid \(grid.first ?? "")…\(grid.last ?? ""))"
            checks.append(Check(name: "merging works",
                                requirement: "Task Arithmetic's λ interior to its grid and its normalized test accuracy above zero-shot's",
                                measured: "λ = \(ta.outcome.selected)\(edge), \(interior ? "interior" : "at the grid's edge"); normalized \(taNorm.map(pct) ?? "?") vs zero-shot \(zsNorm.map(pct) ?? "?")",
                                holds: above.map { $0 && interior }))
        } else {
            checks.append(Check(name: "merging works", requirement: "Task Arithmetic's λ interior and above zero-shot", measured: "not measured (no Task Arithmetic run)", holds: nil))
        }
        self.checks = checks
    }

    /// One sentence for the top of the report.
    public var summary: String {
        if allHold { return "The setting is the paper's: all \(checks.count) preconditions hold, so the LiNeS verdicts below test what the paper claims." }
        let failed = checks.filter { $0.holds == false }.map(\.name)
        let unknown = checks.filter { $0.holds == nil }.map(\.name)
        var parts: [String] = []
        if !failed.isEmpty { parts.append("\(failed.joined(separator: ", ")) \(failed.count == 1 ? "fails" : "fail")") }
        if !unknown.isEmpty { parts.append("\(unknown.joined(separator: ", ")) not measured") }
        return "This is not the paper's setting (\(parts.joined(separator: "; "))): read the LiNeS verdicts below as results of this setting, not as a test of the paper's claims."
    }

    /// The checks as table rows: precondition, requirement, measured, verdict.
    public var rows: [[String]] {
        checks.map { [$0.name, $0.requirement, $0.measured, $0.holds.map { $0 ? "holds" : "FAILS" } ?? "not measured"] }
    }
}
