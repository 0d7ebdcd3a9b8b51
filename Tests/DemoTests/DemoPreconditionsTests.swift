import Foundation
import Testing
@testable import Demo
@testable import Experiments

@Suite("the demo's preconditions: is this the paper's setting?")
struct DemoPreconditionsTests {
    static func outcome(test: [(String, Double)], val: [String] = [], selected: String = "") -> RunOutcome {
        let url = URL(fileURLWithPath: "/dev/null")
        let valEntries = val.map { JSONEntry($0, .object([JSONEntry("avg_normalized_top1", .number(0.5))])) }
        let doc = JSONDocument.object([JSONEntry("test", .object(test.map { JSONEntry($0.0, .number($0.1)) })), JSONEntry("val", .object(valEntries))])
        return RunOutcome(document: doc, selected: selected, resultURL: url, logCopyURL: url, csvURL: url, masksURL: nil, resumed: 0, linesAlpha: nil, layerCount: nil)
    }

    /// Two tasks: zero-shot `zs` on each, fine-tuned 0.9, control after fine-tuning `control`,
    /// Task Arithmetic choosing `lambda` on the grid 0.1…0.5 with normalized test accuracy `ta`.
    static func results(zs: Double, control: Double, lambda: String, ta: Double, late: Double = 0.005) -> DemoResults {
        var r = DemoResults(tasks: [.init(name: "A", summary: "", classes: 2), .init(name: "B", summary: "", classes: 2)])
        r.zeroshot = outcome(test: [("A:top1", zs), ("B:top1", zs), ("avg_normalized_top1", zs / 0.9)])
        r.finetunedAccuracy = ["A": 0.9, "B": 0.9]
        // Six epochs; the last third (epochs 4 to 6) gains `late` on A and nothing on B.
        r.curves = ["A": [0.5, 0.8, 0.85, 0.88, 0.9 - late, 0.9, 0.9], "B": [0.5, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9]]
        r.singleTask = ["A", "B"].map { DemoResults.SingleTask(target: $0, finetuned: outcome(test: [("control_accuracy", control)]), lines: outcome(test: [])) }
        r.merges = [.init(method: "TA", lines: false, outcome: outcome(test: [("avg_normalized_top1", ta)], val: ["0.1", "0.3", "0.5"], selected: lambda))]
        return r
    }

    @Test("the paper's regime: all four hold")
    func holds() {
        let p = DemoPreconditions(Self.results(zs: 0.5, control: 0.4, lambda: "0.3", ta: 0.8))
        #expect(p.checks.map(\.holds) == [true, true, true, true])
        #expect(p.allHold)
        #expect(p.summary.hasPrefix("The setting is the paper's"))
    }

    @Test("each failure is named: zero-shot too strong, still learning, no forgetting, λ at the grid's edge, merge below zero-shot")
    func fails() {
        let strong = DemoPreconditions(Self.results(zs: 0.8, control: 0.7, lambda: "0.3", ta: 0.95))
        #expect(strong.checks.map(\.holds) == [false, true, true, true])
        #expect(strong.summary.contains("strong fine-tuned models fails"))
        // A = +4 points over the last third, B = 0: a mean of 2 points is still learning (limit 1.5).
        let learning = DemoPreconditions(Self.results(zs: 0.5, control: 0.4, lambda: "0.3", ta: 0.8, late: 0.04))
        #expect(learning.checks.map(\.holds) == [true, false, true, true])
        #expect(learning.checks[1].measured.hasPrefix("+2.00 points (largest +4.00)"))
        var noCurves = Self.results(zs: 0.5, control: 0.4, lambda: "0.3", ta: 0.8)
        noCurves.curves = [:]
        #expect(DemoPreconditions(noCurves).checks[1].holds == nil)
        let noForgetting = DemoPreconditions(Self.results(zs: 0.5, control: 0.495, lambda: "0.3", ta: 0.8))
        #expect(noForgetting.checks[2].holds == false)
        let edge = DemoPreconditions(Self.results(zs: 0.5, control: 0.4, lambda: "0.1", ta: 0.8))
        #expect(edge.checks[3].holds == false)
        #expect(edge.checks[3].measured.contains("at the grid's edge"))
        let below = DemoPreconditions(Self.results(zs: 0.5, control: 0.4, lambda: "0.3", ta: 0.5))
        #expect(below.checks[3].holds == false)
        #expect(!below.allHold && below.summary.hasPrefix("This is not the paper's setting (merging works fails)"))
    }
}
