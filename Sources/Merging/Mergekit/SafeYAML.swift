import Yams

/// YAML read through Yams with what Yams cannot be trusted with on a hostile file checked first:
/// a mapping key that is not a plain value (`? [a, b]: c`; Yams' `Node.any` force-unwraps every
/// key as a string and traps), and aliases that expand into more values than any configuration
/// holds (a "billion laughs" document of a few hundred bytes), and base-60 numbers
/// (`66:2:2:0`, which Yams multiplies into an overflow trap). Found by `Benchmarks/fuzz.sh`'s
/// `yaml` target.
public enum SafeYAML {
    /// The most values (scalars, mappings, sequences, each alias counted as what it expands to)
    /// a document may hold.
    public static let maxValues = 1_000_000

    /// Why a document was refused.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notYAML(String)
        case complexKey(line: Int)
        case sexagesimal(line: Int, text: String)
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case let .notYAML(reason): return "not valid YAML: \(reason)"
            case let .complexKey(line): return "line \(line): a mapping key that is a list or a mapping; keys must be plain values"
            case let .sexagesimal(line, text): return "line \(line): '\(text)' is a YAML 1.1 base-60 number; quote it, or write it in decimal"
            case let .tooLarge(limit): return "the document expands to more than \(limit) values (aliases repeated into each other?)"
            }
        }
    }

    /// The document's node tree, checked (nil for an empty document).
    public static func compose(_ text: String) throws(Problem) -> Node? {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw .notYAML("\(error)") }
        guard let node else { return nil }
        var count = 0
        try check(node, &count)
        return node
    }

    /// The document as Foundation values (`[String: Any]`, `[Any]`, numbers, strings), as
    /// `Yams.load` gives them, once ``compose(_:)`` has checked it.
    public static func load(_ text: String) throws(Problem) -> Any? {
        try compose(text)?.any
    }

    private static func check(_ node: Node, _ count: inout Int) throws(Problem) {
        count += 1
        guard count <= maxValues else { throw .tooLarge(limit: maxValues) }
        switch node {
        case let .scalar(scalar):
            // YAML 1.1 sexagesimal ints and floats (`1:30`): Yams' constructor overflows on long
            // ones. Yams resolves tags lazily, so the plain text is checked the way its resolver
            // reads it: digits, `_`, `.` and a sign around at least one `:`.
            let text = scalar.string
            if scalar.style == .plain, text.contains(":"), let first = text.unicodeScalars.first,
               "0123456789+-".unicodeScalars.contains(first),
               text.unicodeScalars.allSatisfy({ "0123456789_:.+-".unicodeScalars.contains($0) }) {
                throw .sexagesimal(line: scalar.mark?.line ?? 0, text: String(text.prefix(40)))
            }
        case .alias:
            return
        case let .mapping(mapping):
            for (key, value) in mapping {
                guard case .scalar = key else { throw .complexKey(line: (key.mark?.line ?? 0)) }
                try check(value, &count)
            }
        case let .sequence(sequence):
            for value in sequence { try check(value, &count) }
        }
    }
}
