import Foundation
import Report
import Testing

@Suite("HTML and SVG report")
struct ReportTests {
    @Test("bars are scaled to the axis, labels escaped, legend complete")
    func bars() {
        let svg = SVGChart.groupedBars(title: "A<B", categories: ["t1", "t2"],
                                       series: [.init(name: "zero-shot", values: [50, 100]), .init(name: "fine-tuned", values: [25, 0])],
                                       yLabel: "accuracy (%)", yMax: 100, width: 400, height: 260)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400.0\" height=\"260.0\""))
        #expect(svg.contains("A&lt;B"))
        // plot height = 260 − 30 − 60 = 170: 50 % → 85, 100 % → 170.
        #expect(svg.contains("height=\"85.0\" fill=\"#0072B2\""))
        #expect(svg.contains("height=\"170.0\" fill=\"#0072B2\""))
        #expect(svg.contains("height=\"42.5\" fill=\"#E69F00\""))
        #expect(svg.contains(">zero-shot</text>") && svg.contains(">fine-tuned</text>"))
        #expect(svg.hasSuffix("</svg>\n"))
    }

    @Test("lines mark the highlighted point and span the data")
    func lines() {
        let svg = SVGChart.lines(title: "c", curves: [.init(name: "TA", points: [(0.1, 50), (0.2, 60), (0.3, 55)], highlighted: 1)],
                                 xLabel: "λ", yLabel: "%", yMin: 50, yMax: 60, width: 400, height: 245)
        // plot: x 50…250, y 30…200; (0.2, 60) is at (150, 30) and circled.
        #expect(svg.contains("<polyline points=\"50.0,200.0 150.0,30.0 250.0,115.0\""))
        #expect(svg.contains("<circle cx=\"150.0\" cy=\"30.0\" r=\"6\""))
    }

    @Test("HTML is self-contained; text output aligns tables")
    func document() {
        var r = HTMLReport(title: "Demo & results")
        r.add(.heading("Tasks"))
        r.add(.table(header: ["task", "acc"], rows: [["a", "1.0"], ["longer", "10.25"]]))
        r.add(.svg("<svg></svg>\n"))
        let html = r.html()
        #expect(html.contains("<title>Demo &amp; results</title>"))
        #expect(!html.contains("<script"))
        #expect(html.contains("<tr><td>longer</td><td class=\"n\">10.25</td></tr>"))
        #expect(r.text().contains("task      acc\na         1.0\nlonger  10.25\n"))
        // Wider than the terminal: a block per row, one `header: value` line per cell.
        let wide = HTMLReport.align([["method", "accuracy", "chosen"], ["TA", "83.10", String(repeating: "x", count: 100)]])
        #expect(wide == "TA\n  accuracy: 83.10\n  chosen:   " + String(repeating: "x", count: 100) + "\n")
    }
}
