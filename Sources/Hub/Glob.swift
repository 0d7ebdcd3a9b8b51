/// `fnmatch`-style patterns, as `huggingface_hub.utils.filter_repo_objects` applies them to
/// repository paths: `*` matches any run of characters (`/` included), `?` one character,
/// `[abc]`, `[a-z]` and `[!abc]` one of a set; a pattern ending in `/` matches everything below.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let chars: [Character]

    public init(_ pattern: String) {
        self.pattern = pattern
        chars = Array(pattern.hasSuffix("/") ? pattern + "*" : pattern)
    }

    public var description: String { pattern }

    /// Whether `path` matches.
    public func matches(_ path: String) -> Bool {
        let s = Array(path)
        // Iterative matching with backtracking to the last `*`.
        var p = 0, i = 0, starP = -1, starI = 0
        while i < s.count {
            if p < chars.count, chars[p] == "*" {
                starP = p; starI = i; p += 1
                continue
            }
            if p < chars.count, let (ok, width) = single(at: p, s[i]), ok {
                p += width; i += 1
                continue
            }
            if starP >= 0 {
                p = starP + 1; starI += 1; i = starI
                continue
            }
            return false
        }
        while p < chars.count, chars[p] == "*" { p += 1 }
        return p == chars.count
    }

    /// Whether the single-character element at `p` (`?`, a set, or a literal) matches `c`, and its width.
    private func single(at p: Int, _ c: Character) -> (Bool, Int)? {
        switch chars[p] {
        case "?": return (true, 1)
        case "[":
            var j = p + 1
            var negate = false
            if j < chars.count, chars[j] == "!" { negate = true; j += 1 }
            var matched = false
            var first = true
            while j < chars.count, chars[j] != "]" || first {
                first = false
                if j + 2 < chars.count, chars[j + 1] == "-", chars[j + 2] != "]" {
                    if chars[j] <= c && c <= chars[j + 2] { matched = true }
                    j += 3
                } else {
                    if chars[j] == c { matched = true }
                    j += 1
                }
            }
            guard j < chars.count else { return (chars[p] == c, 1) }   // no closing ]: a literal [
            return (matched != negate, j - p + 1)
        default:
            return (chars[p] == c, 1)
        }
    }
}
