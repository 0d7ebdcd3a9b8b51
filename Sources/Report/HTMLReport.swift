import Foundation

/// A self-contained HTML report: headings, paragraphs, tables and inline SVG charts, no scripts
/// and no external resources, so it opens from disk in any browser.
public struct HTMLReport: Sendable {
    /// One block of the report.
    public enum Block: Sendable {
        case heading(String)
        case paragraph(String)
        case table(header: [String], rows: [[String]])
        case svg(String)
        case preformatted(String)
    }

    public var title: String
    public var blocks: [Block] = []

    public init(title: String) { self.title = title }

    public mutating func add(_ block: Block) { blocks.append(block) }

    /// The HTML document.
    public func html() -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(SVGChart.escape(title))</title>
        <style>
        body { font-family: sans-serif; max-width: 980px; margin: 2em auto; color: #222; line-height: 1.45; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
        td.n { text-align: right; }
        .wide { overflow-x: auto; }
        th { background: #f3f3f3; }
        pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; }
        svg { display: block; margin: 0.8em 0; }
        </style></head><body>
        <h1>\(SVGChart.escape(title))</h1>

        """
        for block in blocks {
            switch block {
            case let .heading(text): out += "<h2>\(SVGChart.escape(text))</h2>\n"
            case let .paragraph(text): out += "<p>\(SVGChart.escape(text))</p>\n"
            case let .preformatted(text): out += "<pre>\(SVGChart.escape(text))</pre>\n"
            case let .svg(svg): out += svg
            case let .table(header, rows):
                out += "<div class=\"wide\"><table><tr>" + header.map { "<th>\(SVGChart.escape($0))</th>" }.joined() + "</tr>\n"
                for row in rows {
                    out += "<tr>" + row.map { Double($0) == nil ? "<td>\(SVGChart.escape($0))</td>" : "<td class=\"n\">\($0)</td>" }.joined() + "</tr>\n"
                }
                out += "</table></div>\n"
            }
        }
        return out + "</body></html>\n"
    }

    /// The same content as plain text for a terminal: tables aligned in columns, charts omitted.
    public func text() -> String {
        var out = title + "\n" + String(repeating: "=", count: title.count) + "\n"
        for block in blocks {
            switch block {
            case let .heading(text): out += "\n" + text + "\n" + String(repeating: "-", count: text.count) + "\n"
            case let .paragraph(text): out += text + "\n"
            case let .preformatted(text): out += text + "\n"
            case .svg: break
            case let .table(header, rows): out += Self.align([header] + rows)
            }
        }
        return out
    }

    /// Rows as aligned columns (first column left, the others right); a table wider than
    /// `width` characters becomes one block per row, `header: value` per line, so that a
    /// terminal shows it without wrapping lines into each other.
    public static func align(_ rows: [[String]], width: Int = 100) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        if widths.reduce(0, +) + 2 * max(0, columns - 1) > width, let header = rows.first, rows.count > 1 {
            let label = header.map(\.count).max() ?? 0
            return rows.dropFirst().map { row in
                row.enumerated().map { c, cell in
                    let name = c < header.count ? header[c] : ""
                    return c == 0 ? cell : "  " + name + ":" + String(repeating: " ", count: label - name.count + 1) + cell
                }.joined(separator: "\n")
            }.joined(separator: "\n") + "\n"
        }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
