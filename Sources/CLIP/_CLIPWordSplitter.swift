/// Splits cleaned text into words as open_clip's pattern does (the `regex` module, IGNORECASE):
/// `<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`.
///
/// At each position the first alternative that matches wins, the classes greedily; positions
/// where none matches (white space) are skipped. Case-insensitive matching only matters for
/// lower-cased text through `ſ` (U+017F), whose simple case fold is `s`.
enum _CLIPWordSplitter {
    static let specials: [[Unicode.Scalar]] = ["<start_of_text>", "<end_of_text>"].map { Array($0.unicodeScalars) }
    static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map { Array($0.unicodeScalars) }

    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || ("\u{1C}"..."\u{1F}").contains(c)
    }

    @inline(__always)
    static func folded(_ c: Unicode.Scalar) -> Unicode.Scalar { c == "\u{17F}" ? "s" : c }

    /// Whether `pattern` matches `s` at `i` (case-folded).
    static func matches(_ pattern: [Unicode.Scalar], _ s: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + pattern.count <= s.count else { return false }
        for (k, p) in pattern.enumerated() where folded(s[i + k]) != p { return false }
        return true
    }

    static func words(_ s: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var out: [ArraySlice<Unicode.Scalar>] = []
        var i = 0
        while i < s.count {
            if let p = (specials + contractions).first(where: { matches($0, s, at: i) }) {
                out.append(s[i..<(i + p.count)])
                i += p.count
                continue
            }
            let c = s[i]
            var j = i + 1
            if isLetter(c) {
                while j < s.count, isLetter(s[j]) { j += 1 }
            } else if isNumber(c) {
                // one digit at a time
            } else if isSpace(c) {
                i += 1
                continue
            } else {
                while j < s.count, !isLetter(s[j]), !isNumber(s[j]), !isSpace(s[j]) { j += 1 }
            }
            out.append(s[i..<j])
            i = j
        }
        return out
    }
}
