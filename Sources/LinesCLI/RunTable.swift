import Experiments
import Foundation

/// The terminal summary of a run: validation scores per coefficient, then test accuracy per task.
enum RunTable {
    static func render(_ outcome: RunOutcome, config: ExperimentConfig) -> String {
        var lines: [String] = []
        func num(_ doc: JSONDocument?, _ key: String) -> Double? {
            if case let .number(v)? = doc?[key] { return v }
            return nil
        }
        func pct(_ v: Double?) -> String { v.map { String(format: "%6.2f", 100 * $0) } ?? "     -" }
        let single = config.method == .singleTask
        if case let .object(vals)? = outcome.document["val"] {
            lines.append(single ? "Validation       target  control  target/ft  control/zs" : "Validation   avg_normalized_top1  avg_top1")
            for e in vals {
                let mark = e.key == outcome.selected ? "  ← selected" : ""
                let label = e.key.padding(toLength: 10, withPad: " ", startingAt: 0)
                if single {
                    lines.append("  \(label)   \(pct(num(e.value, "target_accuracy")))   \(pct(num(e.value, "control_accuracy")))     \(pct(num(e.value, "target_normalized_accuracy")))      \(pct(num(e.value, "control_normalized_accuracy")))\(mark)")
                } else {
                    lines.append("  \(label)   \(pct(num(e.value, "avg_normalized_top1")))               \(pct(num(e.value, "avg_top1")))\(mark)")
                }
            }
        }
        let test = outcome.document["test"]
        lines.append("")
        lines.append("Test (selected \(outcome.selected))   top1  normalized")
        for t in config.datasets {
            let name = t.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            lines.append("  \(name)  \(pct(num(test, t.rawValue + ":top1")))      \(pct(num(test, t.rawValue + ":normalized_top1")))")
        }
        lines.append("  " + "average".padding(toLength: 16, withPad: " ", startingAt: 0) + "  \(pct(num(test, "avg_top1")))      \(pct(num(test, "avg_normalized_top1")))")
        if single {
            lines.append("  target \(pct(num(test, "target_accuracy"))) (\(pct(num(test, "target_normalized_accuracy")))% of fine-tuned), control \(pct(num(test, "control_accuracy"))) (\(pct(num(test, "control_normalized_accuracy")))% of zero-shot)")
        }
        lines.append("")
        lines.append("Results: \(outcome.resultURL.path)")
        lines.append("CSV:     \(outcome.csvURL.path)")
        if let m = outcome.masksURL { lines.append("Masks:   \(m.path)") }
        return lines.joined(separator: "\n")
    }
}
