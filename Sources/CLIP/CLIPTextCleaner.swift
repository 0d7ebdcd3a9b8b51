import Foundation

/// open_clip's default text cleaning (`clean='lower'`): `whitespace_clean(basic_clean(text)).lower()`.
///
/// `basic_clean` is `ftfy.fix_text`, then Python's `html.unescape` twice, then `strip()`. Of
/// ftfy 6.3 this does what its defaults do to text that is not mojibake, line by line and until
/// nothing changes: HTML entities (only when the text has no `<` so far), C1 controls read as
/// Windows-1252, Latin ligatures split, half/full-width forms to standard width, curly quotes
/// straightened, line breaks to `\n`, ANSI terminal escapes and control characters removed, NFC.
/// ftfy's mojibake repair (`fix_encoding`: text decoded with the wrong codec, such as `cafÃ©`)
/// is not done. `whitespace_clean` joins Python's `split()` words with single spaces; `lower()`
/// is Python's full lower-casing, final sigma included.
public enum CLIPTextCleaner {
    typealias Scalars = [Unicode.Scalar]

    /// The cleaned, lower-cased text that open_clip's tokenizer splits into words.
    public static func clean(_ text: String) -> String {
        var s = Scalars(text.unicodeScalars)
        s = fixText(s)
        s = _HTMLUnescape.python(_HTMLUnescape.python(s))
        let words = s.split(whereSeparator: isPythonWhitespace)
        var joined = Scalars()
        for (n, w) in words.enumerated() {
            if n > 0 { joined.append(" ") }
            joined += w
        }
        return String(String.UnicodeScalarView(lowercased(joined)))
    }

    /// `ftfy.fix_text` with its default configuration, mojibake repair aside.
    static func fixText(_ text: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(text.count)
        var unescape = true
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count, text[end] != "\n" { end += 1 }
            if end < text.count { end += 1 }
            var segment = Array(text[start..<end])
            if segment.contains("<") { unescape = false }
            while true {
                let original = segment
                if unescape { segment = _HTMLUnescape.ftfy(segment) }
                segment = fixC1Controls(segment)
                segment = fixLigatures(segment)
                segment = fixCharacterWidth(segment)
                segment = uncurlQuotes(segment)
                segment = fixLineBreaks(segment)
                segment = removeTerminalEscapes(segment)
                segment = removeControlCharacters(segment)
                segment = nfc(segment)
                if segment == original { break }
            }
            out += segment
            start = end
        }
        return out
    }

    static let c1 = _HTMLUnescape.table(_TextCleaningTables.c1)
    static let width = _HTMLUnescape.table(_TextCleaningTables.width)
    static let ligatures: [Unicode.Scalar: String] = [
        "\u{132}": "IJ", "\u{133}": "ij", "\u{149}": "\u{2BC}n", "\u{1F1}": "DZ", "\u{1F2}": "Dz", "\u{1F3}": "dz",
        "\u{1C4}": "D\u{17D}", "\u{1C5}": "D\u{17E}", "\u{1C6}": "d\u{17E}", "\u{1C7}": "LJ", "\u{1C8}": "Lj",
        "\u{1C9}": "lj", "\u{1CA}": "NJ", "\u{1CB}": "Nj", "\u{1CC}": "nj", "\u{FB00}": "ff", "\u{FB01}": "fi",
        "\u{FB02}": "fl", "\u{FB03}": "ffi", "\u{FB04}": "ffl", "\u{FB05}": "\u{17F}t", "\u{FB06}": "st",
    ]

    /// Replaces each scalar for which `replacement` gives scalars.
    @inline(__always)
    static func mapScalars(_ s: Scalars, _ replacement: (Unicode.Scalar) -> Scalars?) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(s.count)
        for c in s {
            if let r = replacement(c) { out += r } else { out.append(c) }
        }
        return out
    }

    static func fixC1Controls(_ s: Scalars) -> Scalars {
        mapScalars(s) { (0x80...0x9F).contains($0.value) ? c1[String($0.value, radix: 16, uppercase: true)] : nil }
    }

    static func fixLigatures(_ s: Scalars) -> Scalars {
        mapScalars(s) { ligatures[$0].map { Scalars($0.unicodeScalars) } }
    }

    static func fixCharacterWidth(_ s: Scalars) -> Scalars {
        mapScalars(s) { c in
            c.value == 0x3000 || (0xFF01..<0xFFF0).contains(c.value) ? width[String(c.value, radix: 16, uppercase: true)] : nil
        }
    }

    static func uncurlQuotes(_ s: Scalars) -> Scalars {
        mapScalars(s) { c in
            if c.value == 0x2BC || (0x2018...0x201B).contains(c.value) { return ["'"] }
            if (0x201C...0x201F).contains(c.value) { return ["\""] }
            return nil
        }
    }

    static func fixLineBreaks(_ s: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == "\r", i + 1 < s.count, s[i + 1] == "\n" { out.append("\n"); i += 2; continue }
            out.append(["\r", "\u{2028}", "\u{2029}", "\u{85}"].contains(c) ? "\n" : c)
            i += 1
        }
        return out
    }

    /// Removes `ESC [ (digit | ;)* letter`.
    static func removeTerminalEscapes(_ s: Scalars) -> Scalars {
        guard s.contains("\u{1B}") else { return s }
        var out = Scalars()
        var i = 0
        while i < s.count {
            if s[i] == "\u{1B}", i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, _HTMLUnescape.isASCIIDigit(s[j]) || s[j] == ";" { j += 1 }
                if j < s.count, ("a"..."z").contains(s[j]) || ("A"..."Z").contains(s[j]) { i = j + 1; continue }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }

    static func removeControlCharacters(_ s: Scalars) -> Scalars {
        s.filter { c in
            let v = c.value
            return !(v < 0x09 || v == 0x0B || (0x0E..<0x20).contains(v) || v == 0x7F
                     || (0x206A..<0x2070).contains(v) || v == 0xFEFF || (0xFFF9..<0xFFFD).contains(v))
        }
    }

    static func nfc(_ s: Scalars) -> Scalars {
        guard s.contains(where: { $0.value >= 0x300 }) else { return s }
        return Scalars(String(String.UnicodeScalarView(s)).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// Python's `str.isspace` (what `split()` and `strip()` cut at).
    static func isPythonWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Python's `str.lower()`: full lower-case mappings, with Σ as ς at the end of a word.
    ///
    /// Python 3.10–3.13 lower-case by Unicode 13–15.1, so letters first assigned in Unicode 16 or
    /// later (55 of them, e.g. U+1C89) keep their case, as they do in the reference's environment.
    static func lowercased(_ s: Scalars) -> Scalars {
        var out = Scalars()
        out.reserveCapacity(s.count)
        for (i, c) in s.enumerated() {
            if c.isASCII {
                out.append(("A"..."Z").contains(c) ? Unicode.Scalar(UInt8(c.value + 32)) : c)
            } else if c == "\u{3A3}" {
                out.append(isFinalSigma(s, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else if let age = c.properties.age, age.major < 16 {
                out += c.properties.lowercaseMapping.unicodeScalars
            } else {
                out.append(c)  // assigned after Python's tables (Unicode ≤ 15.1): Python leaves it
            }
        }
        return out
    }

    /// Final_Sigma: a cased letter before (skipping case-ignorables) and none after.
    static func isFinalSigma(_ s: Scalars, at i: Int) -> Bool {
        var j = i - 1
        while j >= 0, s[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, s[j].properties.isCased else { return false }
        j = i + 1
        while j < s.count, s[j].properties.isCaseIgnorable { j += 1 }
        return j == s.count || !s[j].properties.isCased
    }
}
