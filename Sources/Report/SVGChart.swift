import Foundation

/// Small self-contained SVG charts (no scripts, no external fonts or styles), for reports that
/// open in any browser or render as images in a README.
public enum SVGChart {
    /// One named series of values.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double]
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// One named series of (x, y) points.
    public struct Curve: Sendable, Equatable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Index of a point to circle (e.g. the selected coefficient).
        public var highlighted: Int?
        public init(name: String, points: [(x: Double, y: Double)], highlighted: Int? = nil) {
            self.name = name
            self.points = points
            self.highlighted = highlighted
        }
        public static func == (a: Curve, b: Curve) -> Bool {
            a.name == b.name && a.highlighted == b.highlighted && a.points.count == b.points.count
                && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
        }
    }

    /// A colour-blind-safe palette (Okabe–Ito), cycled.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    static func colour(_ i: Int) -> String { palette[i % palette.count] }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Grouped bars: one group per category, one bar per series; values in [0, yMax].
    public static func groupedBars(title: String, categories: [String], series: [Series], yLabel: String,
                                   yMax: Double = 100, width: Double = 760, height: Double = 320) -> String {
        let left = 50.0, right = 150.0, top = 30.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        var svg = header(width, height, title)
        svg += axes(left: left, top: top, plotW: plotW, plotH: plotH, yMax: yMax, yLabel: yLabel)
        let groupW = plotW / Double(max(1, categories.count))
        let barW = groupW * 0.8 / Double(max(1, series.count))
        for (c, name) in categories.enumerated() {
            let gx = left + Double(c) * groupW + groupW * 0.1
            for (s, ser) in series.enumerated() where c < ser.values.count {
                let v = max(0, min(yMax, ser.values[c]))
                let h = plotH * v / yMax
                svg += "<rect x=\"\(fmt(gx + Double(s) * barW))\" y=\"\(fmt(top + plotH - h))\" width=\"\(fmt(barW * 0.92))\" height=\"\(fmt(h))\" fill=\"\(colour(s))\"><title>\(escape(ser.name)) · \(escape(name)): \(String(format: "%.2f", ser.values[c]))</title></rect>\n"
            }
            svg += "<text x=\"\(fmt(gx + groupW * 0.4))\" y=\"\(fmt(top + plotH + 14))\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-30 \(fmt(gx + groupW * 0.4)) \(fmt(top + plotH + 14)))\">\(escape(name))</text>\n"
        }
        svg += legend(series.map(\.name), x: left + plotW + 10, y: top)
        return svg + "</svg>\n"
    }

    /// Lines through (x, y) points, one per curve; a highlighted point is circled.
    public static func lines(title: String, curves: [Curve], xLabel: String, yLabel: String,
                             yMin: Double? = nil, yMax: Double? = nil, width: Double = 760, height: Double = 320) -> String {
        let left = 50.0, right = 150.0, top = 30.0, bottom = 45.0
        let plotW = width - left - right, plotH = height - top - bottom
        let xs = curves.flatMap { $0.points.map(\.x) }, ys = curves.flatMap { $0.points.map(\.y) }
        let x0 = xs.min() ?? 0, x1 = max((xs.max() ?? 1), x0 + 1e-9)
        let lo = yMin ?? ((ys.min() ?? 0) - 2), hi = max(yMax ?? ((ys.max() ?? 100) + 2), lo + 1e-9)
        func px(_ x: Double) -> Double { left + plotW * (x - x0) / (x1 - x0) }
        func py(_ y: Double) -> Double { top + plotH * (1 - (y - lo) / (hi - lo)) }
        var svg = header(width, height, title)
        svg += frame(left: left, top: top, plotW: plotW, plotH: plotH)
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(py(v) + 3))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.1f", v))</text>\n"
            let xv = x0 + (x1 - x0) * Double(k) / 4
            svg += "<text x=\"\(fmt(px(xv)))\" y=\"\(fmt(top + plotH + 14))\" font-size=\"10\" text-anchor=\"middle\">\(String(format: "%.2f", xv))</text>\n"
        }
        svg += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 8))\" font-size=\"11\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"12\" y=\"\(fmt(top + plotH / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(fmt(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        for (i, c) in curves.enumerated() {
            let path = c.points.map { "\(fmt(px($0.x))),\(fmt(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"2\"/>\n"
            for p in c.points {
                svg += "<circle cx=\"\(fmt(px(p.x)))\" cy=\"\(fmt(py(p.y)))\" r=\"2.5\" fill=\"\(colour(i))\"><title>\(escape(c.name)): \(String(format: "%.3f", p.x)) → \(String(format: "%.2f", p.y))</title></circle>\n"
            }
            if let h = c.highlighted, h < c.points.count {
                svg += "<circle cx=\"\(fmt(px(c.points[h].x)))\" cy=\"\(fmt(py(c.points[h].y)))\" r=\"6\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"2\"/>\n"
            }
        }
        svg += legend(curves.map(\.name), x: left + plotW + 10, y: top)
        return svg + "</svg>\n"
    }

    static func header(_ w: Double, _ h: Double, _ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(w))\" height=\"\(fmt(h))\" viewBox=\"0 0 \(fmt(w)) \(fmt(h))\" font-family=\"sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(fmt(w / 2))\" y=\"18\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">\(escape(title))</text>\n"
    }

    static func frame(left: Double, top: Double, plotW: Double, plotH: Double) -> String {
        "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(plotW))\" height=\"\(fmt(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
    }

    static func axes(left: Double, top: Double, plotW: Double, plotH: Double, yMax: Double, yLabel: String) -> String {
        var s = frame(left: left, top: top, plotW: plotW, plotH: plotH)
        for k in 0...4 {
            let v = yMax * Double(k) / 4
            let y = top + plotH * (1 - Double(k) / 4)
            s += "<line x1=\"\(fmt(left))\" x2=\"\(fmt(left + plotW))\" y1=\"\(fmt(y))\" y2=\"\(fmt(y))\" stroke=\"#eee\"/>\n"
            s += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 3))\" font-size=\"10\" text-anchor=\"end\">\(String(format: "%.0f", v))</text>\n"
        }
        s += "<text x=\"12\" y=\"\(fmt(top + plotH / 2))\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(fmt(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        return s
    }

    static func legend(_ names: [String], x: Double, y: Double) -> String {
        names.enumerated().map { i, n in
            "<rect x=\"\(fmt(x))\" y=\"\(fmt(y + Double(i) * 16))\" width=\"10\" height=\"10\" fill=\"\(colour(i))\"/>"
                + "<text x=\"\(fmt(x + 14))\" y=\"\(fmt(y + Double(i) * 16 + 9))\" font-size=\"10\">\(escape(n))</text>\n"
        }.joined()
    }
}
