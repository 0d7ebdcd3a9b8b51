/// HTML character references as Python's `html.unescape` and ftfy's `unescape_html` decode them,
/// on Unicode scalars (Python strings are code-point sequences).
enum _HTMLUnescape {
    typealias Scalars = [Unicode.Scalar]

    /// `"key v1,v2"` lines into a dictionary of scalar arrays.
    static func table(_ lines: String) -> [String: Scalars] {
        var out: [String: Scalars] = [:]
        for line in lines.split(separator: "\n") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let value = line[line.index(after: space)...].split(separator: ",").compactMap { UInt32($0, radix: 16).flatMap(Unicode.Scalar.init) }
            out[String(line[..<space])] = value
        }
        return out
    }

    static let html5 = table(_TextCleaningTables.html5)
    static let ftfyEntities: [String: Scalars] = {
        var out = table(_TextCleaningTables.ftfyUpper)
        for (k, v) in html5 where k.hasSuffix(";") { out[k] = v }
        return out
    }()
    static let invalidCharrefs: [UInt32: Scalars] = Dictionary(uniqueKeysWithValues: table(_TextCleaningTables.invalidCharrefs).compactMap { k, v in UInt32(k, radix: 16).map { ($0, v) } })
    static let invalidCodepoints: Set<UInt32> = Set(_TextCleaningTables.invalidCodepoints.split(separator: "\n").compactMap { UInt32($0, radix: 16) })

    static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    static func isHexDigit(_ c: Unicode.Scalar) -> Bool { isASCIIDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c) }
    static func isASCIIAlnum(_ c: Unicode.Scalar) -> Bool { isASCIIDigit(c) || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }

    /// The text of a numeric reference `&#…` whose value is `digits` in `radix`, as `html.unescape`.
    static func numeric(_ digits: ArraySlice<Unicode.Scalar>, radix: UInt32) -> Scalars {
        var value: UInt32 = 0
        for d in digits {
            guard value <= 0x11_0000 else { break }  // any larger value decodes the same (U+FFFD)
            value = value * radix + (isASCIIDigit(d) ? d.value - 48 : (d.value | 0x20) - 87)
        }
        if let replacement = invalidCharrefs[value] { return replacement }
        if (0xD800...0xDFFF).contains(value) || value > 0x10FFFF { return ["\u{FFFD}"] }
        if invalidCodepoints.contains(value) { return [] }
        return Unicode.Scalar(value).map { [$0] } ?? ["\u{FFFD}"]
    }

    /// Python's `html.unescape`: `&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)` replaced
    /// by its text; named references without a match fall back to their longest known prefix.
    static func python(_ s: Scalars) -> Scalars {
        guard s.contains("&") else { return s }
        var out = Scalars()
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard s[i] == "&", i + 1 < s.count else { out.append(s[i]); i += 1; continue }
            var j = i + 1
            if s[j] == "#" {
                j += 1
                var radix: UInt32 = 10
                if j < s.count, s[j] == "x" || s[j] == "X" { radix = 16; j += 1 }
                let start = j
                while j < s.count, radix == 16 ? isHexDigit(s[j]) : isASCIIDigit(s[j]) { j += 1 }
                guard j > start else { out.append("&"); i += 1; continue }
                let digits = s[start..<j]
                if j < s.count, s[j] == ";" { j += 1 }
                out += numeric(digits, radix: radix)
                i = j
                continue
            }
            let excluded: Set<Unicode.Scalar> = ["\t", "\n", "\u{0C}", " ", "<", "&", "#", ";"]
            while j < s.count, j - i - 1 < 32, !excluded.contains(s[j]) { j += 1 }
            guard j > i + 1 else { out.append("&"); i += 1; continue }
            if j < s.count, s[j] == ";" { j += 1 }
            let name = s[(i + 1)..<j]
            if let value = html5[String(String.UnicodeScalarView(name))] {
                out += value
            } else if let x = stride(from: name.count - 1, through: 2, by: -1).first(where: {
                html5[String(String.UnicodeScalarView(name.prefix($0)))] != nil
            }), let value = html5[String(String.UnicodeScalarView(name.prefix(x)))] {
                out += value
                out += name.dropFirst(x)
            } else {
                out.append("&")
                out += name
            }
            i = j
        }
        return out
    }

    /// ftfy's `unescape_html`: only `&#?[0-9A-Za-z]{1,24};` is replaced, by its html5 text (or an
    /// upper-cased Latin entity), or for `&#…;` by `html.unescape` when that consumes the `;`.
    static func ftfy(_ s: Scalars) -> Scalars {
        guard s.contains("&") else { return s }
        var out = Scalars()
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard s[i] == "&" else { out.append(s[i]); i += 1; continue }
            var j = i + 1
            if j < s.count, s[j] == "#" { j += 1 }
            let start = j
            while j < s.count, j - start < 24, isASCIIAlnum(s[j]) { j += 1 }
            guard j > start, j < s.count, s[j] == ";" else { out.append("&"); i += 1; continue }
            let match = Array(s[i...j])
            let name = String(String.UnicodeScalarView(match.dropFirst()))
            if let value = ftfyEntities[name] {
                out += value
            } else if match.count > 1, match[1] == "#" {
                let decoded = python(match)
                out += decoded.contains(";") ? match : decoded
            } else {
                out += match
            }
            i = j + 1
        }
        return out
    }
}
