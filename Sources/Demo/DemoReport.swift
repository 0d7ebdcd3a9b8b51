import Experiments
import Foundation
import Report

/// The demo's report: the paper's two tables (single-task editing, multi-task merging) with the
/// same rows, per-task detail, the verdicts as measured, and four charts.
public struct DemoReport: Sendable {
    public let results: DemoResults
    /// The tables and verdicts, for `demo-results.json`.
    public private(set) var tables: [String: [[String]]] = [:]
    public private(set) var verdicts: [String] = []
    public private(set) var document: HTMLReport

    public init(_ results: DemoResults, title: String = "LiNeS on eight offline image tasks (lines demo)") {
        self.results = results
        document = HTMLReport(title: title)
        build()
    }

    /// A percentage, or "-" when the value is missing (the demo's test asserts there is none).
    static func pct(_ v: Double?) -> String { v.map { String(format: "%.2f", 100 * $0) } ?? "-" }
    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
    static func points(_ d: Double) -> String { String(format: "%+.2f", 100 * d) }

    mutating func build() {
        let r = results
        let names = r.tasks.map(\.name)
        document.add(.paragraph("Eight tasks that differ in label space and image domain, made offline: printed digits, capital letters and symbols rendered from Debian's fonts, drawn shapes, textures and disc counts, and rotated and inverted Fashion-MNIST garments (Debian's dataset-fashion-mnist). The pre-trained model is a small open_clip-layout ViT pre-trained once on other classes (upright garments, lower-case Latin and Greek letters) and embedded in Lines; each task gets a frozen head made from θ0's features of each class's canonical depictions (the clean glyph in three typefaces, the upright shape, upright garments: the analogue of CLIP's heads built from prompts) and an encoder fine-tuned to convergence with the head frozen. Every experiment below ran through lines run: hyper-parameters chosen on each task's validation split, numbers on its test split. Nothing here was tuned to favour LiNeS. Every number comes from one seed (fine-tuning seeds \(100 * r.seed + 1) to \(100 * r.seed + r.tasks.count)); the spread over three seeds, measured once, is in BENCHMARKS.md, so differences within it are noise."))
        document.add(.paragraph("What this setting can and cannot tell: it reproduces the regime the paper studies (a shared pre-trained representation, fine-tuned models far above zero-shot, forgetting, merges that beat zero-shot), so it shows whether LiNeS's mechanism, scaling shallow layers' updates down, pays off there. It cannot tell how large the gains are on CLIP: the model has 4 blocks instead of 12 to 24, 28×28 images, synthetic tasks, and one seed."))
        // Whether this is the paper's setting, before any verdict.
        let preconditions = DemoPreconditions(r)
        let preHeader = ["precondition", "requirement", "measured", "verdict"]
        tables["preconditions"] = [preHeader] + preconditions.rows
        document.add(.heading("Is this the paper's setting?"))
        document.add(.paragraph(preconditions.summary))
        document.add(.table(header: preHeader, rows: preconditions.rows))
        verdicts.append(preconditions.summary)
        document.add(.heading("Tasks"))
        let taskRows = r.tasks.map { [$0.name, $0.summary, String($0.classes)] }
        tables["tasks"] = [["task", "what it is", "classes"]] + taskRows
        document.add(.table(header: ["task", "what it is", "classes"], rows: taskRows))

        // Fine-tuning curves: the models are trained to convergence.
        let epochs = r.curves.values.map(\.count).max() ?? 0
        if epochs > 1 {
            // Every epoch up to 10, else every second one (and the last), so the table fits the page.
            let shown = (0..<epochs).filter { epochs <= 11 || $0 % 2 == 0 || $0 == epochs - 1 }
            let curveHeader = ["task"] + shown.map { $0 == 0 ? "θ0" : "epoch \($0)" }
            let curveRows = names.map { n in [n] + shown.map { e in Self.pct(r.curves[n].flatMap { e < $0.count ? $0[e] : nil }) } }
            tables["finetune_curves"] = [curveHeader] + curveRows
            document.add(.heading("Fine-tuning to convergence (validation accuracy after each epoch)"))
            document.add(.table(header: curveHeader, rows: curveRows))
            document.add(.svg(SVGChart.lines(title: "Validation accuracy during fine-tuning", curves: names.map { n in
                SVGChart.Curve(name: n, points: (r.curves[n] ?? []).enumerated().map { (Double($0.offset), 100 * $0.element) })
            }, xLabel: "epoch", yLabel: "validation accuracy (%)")))
        }

        // Single-task editing (paper's Table 1 shape).
        let zsTest = names.map { DemoResults.value(r.zeroshot, "test", $0 + ":top1") }
        var zsTarget: [Double] = [], zsControl: [Double] = []
        for (i, _) in names.enumerated() {
            if let t = zsTest[i] { zsTarget.append(t) }
            let controls = names.indices.filter { $0 != i }.compactMap { zsTest[$0] }
            if let m = Self.mean(controls) { zsControl.append(m) }
        }
        func meanOf(_ runs: [RunOutcome], _ key: String) -> Double? { Self.mean(runs.compactMap { DemoResults.value($0, "test", key) }) }
        let ft = r.singleTask.map(\.finetuned), ln = r.singleTask.map(\.lines)
        let zsOverFt = names.compactMap { n -> Double? in
            guard let z = DemoResults.value(r.zeroshot, "test", n + ":top1"), let f = r.finetunedAccuracy[n], f > 0 else { return nil }
            return z / f
        }
        let singleRows: [[String]] = [
            ["Zero-shot", Self.pct(Self.mean(zsTarget)), Self.pct(Self.mean(zsControl)), Self.pct(Self.mean(zsOverFt)), "100.00"],
            ["Fine-tuned", Self.pct(meanOf(ft, "target_accuracy")), Self.pct(meanOf(ft, "control_accuracy")),
             Self.pct(meanOf(ft, "target_normalized_accuracy")), Self.pct(meanOf(ft, "control_normalized_accuracy"))],
            ["LiNeS", Self.pct(meanOf(ln, "target_accuracy")), Self.pct(meanOf(ln, "control_accuracy")),
             Self.pct(meanOf(ln, "target_normalized_accuracy")), Self.pct(meanOf(ln, "control_normalized_accuracy"))],
        ]
        let singleHeader = ["model", "target acc", "control acc", "target (% of fine-tuned)", "control (% of zero-shot)"]
        tables["single_task"] = [singleHeader] + singleRows
        document.add(.heading("Single-task editing: forgetting (test, mean over the \(names.count) targets)"))
        document.add(.table(header: singleHeader, rows: singleRows))
        var perTarget: [[String]] = []
        for s in r.singleTask {
            perTarget.append([s.target, s.lines.selected,
                              Self.pct(DemoResults.value(s.finetuned, "test", "target_accuracy")), Self.pct(DemoResults.value(s.finetuned, "test", "control_accuracy")),
                              Self.pct(DemoResults.value(s.lines, "test", "target_accuracy")), Self.pct(DemoResults.value(s.lines, "test", "control_accuracy"))])
        }
        let perTargetHeader = ["target", "γ chosen", "fine-tuned target", "fine-tuned control", "LiNeS target", "LiNeS control"]
        tables["single_task_per_target"] = [perTargetHeader] + perTarget
        document.add(.table(header: perTargetHeader, rows: perTarget))
        if let fc = meanOf(ft, "control_accuracy"), let lc = meanOf(ln, "control_accuracy"),
           let ftT = meanOf(ft, "target_accuracy"), let lT = meanOf(ln, "target_accuracy") {
            let v = lc > fc
                ? "Single-task LiNeS raised the mean control accuracy from \(Self.pct(fc))% to \(Self.pct(lc))% (\(Self.points(lc - fc)) points) while the target accuracy went from \(Self.pct(ftT))% to \(Self.pct(lT))% (\(Self.points(lT - ftT)) points)."
                : "Single-task LiNeS did not reduce forgetting here: mean control accuracy \(Self.pct(fc))% fine-tuned vs \(Self.pct(lc))% with LiNeS (target \(Self.pct(ftT))% vs \(Self.pct(lT))%)."
            verdicts.append(v)
            document.add(.paragraph(v))
        }

        // Multi-task merging (paper's Table 2 shape).
        let ftTest = names.map { r.finetunedAccuracy[$0] }
        var mergeRows: [[String]] = [
            ["Zero-shot", Self.pct(DemoResults.value(r.zeroshot, "test", "avg_top1")), Self.pct(DemoResults.value(r.zeroshot, "test", "avg_normalized_top1")), "n/a"]
                + zsTest.map(Self.pct),
            ["Fine-tuned (one model per task)", Self.pct(Self.mean(ftTest.compactMap { $0 })), "100.00", "n/a"] + ftTest.map(Self.pct),
        ]
        for m in r.merges {
            mergeRows.append([m.label, Self.pct(DemoResults.value(m.outcome, "test", "avg_top1")),
                              Self.pct(DemoResults.value(m.outcome, "test", "avg_normalized_top1")),
                              (m.lines ? "β=" : "λ=") + m.outcome.selected] + names.map { Self.pct(DemoResults.value(m.outcome, "test", $0 + ":top1")) })
        }
        let mergeHeader = ["method", "abs. acc", "norm. acc", "chosen on val"] + names
        tables["merging"] = [mergeHeader] + mergeRows
        document.add(.heading("Multi-task merging (test; normalized = % of each task's fine-tuned accuracy)"))
        document.add(.table(header: mergeHeader, rows: mergeRows))
        for base in DemoPipeline.mergeMethods.map(\.0) + ["Consensus"] {
            guard let plain = r.merges.first(where: { $0.method == base && !$0.lines }),
                  let lines = r.merges.first(where: { $0.method == base && $0.lines }),
                  let a = DemoResults.value(plain.outcome, "test", "avg_normalized_top1"),
                  let b = DemoResults.value(lines.outcome, "test", "avg_normalized_top1") else { continue }
            let v = b > a
                ? "LiNeS improved \(base): normalized test accuracy \(Self.pct(a))% → \(Self.pct(b))% (\(Self.points(b - a)) points)."
                : "LiNeS did not help \(base) here: normalized test accuracy \(Self.pct(a))% → \(Self.pct(b))% (\(Self.points(b - a)) points)."
            verdicts.append(v)
            document.add(.paragraph(v))
        }
        tables["verdicts"] = verdicts.map { [$0] }

        // Charts.
        var series = [SVGChart.Series(name: "zero-shot", values: zsTest.map { 100 * ($0 ?? 0) }),
                      SVGChart.Series(name: "fine-tuned", values: ftTest.map { 100 * ($0 ?? 0) })]
        for m in r.merges { series.append(.init(name: m.label, values: names.map { 100 * (DemoResults.value(m.outcome, "test", $0 + ":top1") ?? 0) })) }
        document.add(.heading("Per-task test accuracy"))
        document.add(.svg(SVGChart.groupedBars(title: "Test accuracy per task and method", categories: names, series: series,
                                               yLabel: "accuracy (%)", width: 900, height: 360)))

        document.add(.heading("Accuracy against the coefficient (validation)"))
        let curves = r.merges.map { m -> SVGChart.Curve in
            let c = DemoResults.validationCurve(m.outcome, metric: "avg_normalized_top1")
            return SVGChart.Curve(name: m.label + (m.lines ? " (β)" : " (λ)"),
                                  points: c.map { (Double($0.label) ?? 0, 100 * $0.value) },
                                  highlighted: c.firstIndex { $0.label == m.outcome.selected })
        }
        document.add(.svg(SVGChart.lines(title: "Mean normalized validation accuracy; circled: chosen", curves: curves,
                                         xLabel: "λ (baseline) or β (LiNeS)", yLabel: "normalized accuracy (%)")))

        document.add(.heading("Single-task editing: target against control (validation, γ from 1 to 0)"))
        let scatter = r.singleTask.map { s -> SVGChart.Curve in
            guard case let .object(entries)? = s.lines.document["val"] else { return .init(name: s.target, points: []) }
            let pts = entries.compactMap { e -> (Double, Double)? in
                guard case let .number(c)? = e.value["control_accuracy"], case let .number(t)? = e.value["target_accuracy"] else { return nil }
                return (100 * c, 100 * t)
            }
            return SVGChart.Curve(name: s.target, points: pts.map { (x: $0.0, y: $0.1) }, highlighted: entries.firstIndex { $0.key == s.lines.selected })
        }
        document.add(.svg(SVGChart.lines(title: "Each line runs from γ = 1 (fine-tuned) to γ = 0; circled: chosen", curves: scatter,
                                         xLabel: "control accuracy (%)", yLabel: "target accuracy (%)")))

        document.add(.heading("Per-block scaling λ of the chosen models"))
        let L = max(2, r.layerCount)
        var schedules: [SVGChart.Curve] = []
        for m in r.merges {
            guard let sel = Double(m.outcome.selected) else { continue }
            let values: [Double] = (0..<L).map { i in
                m.lines ? (m.outcome.linesAlpha ?? 0) + sel * Double(i) / Double(L - 1) : sel
            }
            schedules.append(.init(name: m.label, points: values.enumerated().map { (Double($0.offset), $0.element) }))
        }
        for s in r.singleTask {
            guard let g = Double(s.lines.selected) else { continue }
            schedules.append(.init(name: "edit \(s.target)", points: (0..<L).map { (Double($0), g + (1 - g) * Double($0) / Double(L - 1)) }))
        }
        document.add(.svg(SVGChart.lines(title: "λ of residual block i (embeddings and outputs get the block-0 value α)", curves: schedules,
                                         xLabel: "block i", yLabel: "λ", yMin: 0, yMax: max(1.05, (schedules.flatMap { $0.points.map(\.y) }.max() ?? 1) + 0.05),
                                         width: 900, height: 360)))
        if !r.timings.isEmpty {
            document.add(.heading("Time"))
            let rows = r.timings.map { [$0.0, String(format: "%.1f s", $0.1)] }
            tables["timings"] = [["stage", "wall time"]] + rows
            document.add(.table(header: ["stage", "wall time"], rows: rows))
        }
    }

    /// `demo-results.json`: every table and verdict.
    public func json() throws -> Data {
        try JSONSerialization.data(withJSONObject: tables.mapValues { $0 }, options: [.prettyPrinted, .sortedKeys])
    }
}
