import Foundation

/// A value of the run configuration: what Hydra/OmegaConf would hold for one key.
///
/// Mappings keep their keys in insertion order, so `lines run --cfg` prints the configuration in
/// the order of the YAML files, as Hydra does.
public indirect enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case map([(key: String, value: ConfigValue)])

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The value as OmegaConf's string interpolation renders it (`20`, `0.5`, `True`, `None`).
    public var description: String {
        switch self {
        case .null: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return pythonRepr(d)
        case let .string(s): return s
        case let .list(items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case let .map(entries): return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// Parses one command-line override value the way Hydra's grammar reads it: `true`/`false`
    /// in any case, integers, floats, `null`, `[a,b]` lists, quoted or bare strings.
    public static func parse(_ text: String) -> ConfigValue { parse(text, depth: 0) }

    /// Lists nested deeper than this are kept as text: each level copies the rest of the value,
    /// so unbounded nesting cost time quadratic in its length (16 KiB of `[` took seconds).
    static let maxListDepth = 32

    private static func parse(_ text: String, depth: Int) -> ConfigValue {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.count >= 2, let f = s.first, let l = s.last, (f == "'" && l == "'") || (f == "\"" && l == "\"") {
            return .string(String(s.dropFirst().dropLast()))
        }
        switch s.lowercased() {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: break
        }
        if s.hasPrefix("["), s.hasSuffix("]"), depth < maxListDepth {
            let inner = s.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            if inner.isEmpty { return .list([]) }
            return .list(inner.split(separator: ",", omittingEmptySubsequences: false).map { parse(String($0), depth: depth + 1) })
        }
        if let i = Int(s) { return .int(i) }
        if s.rangeOfCharacter(from: CharacterSet(charactersIn: "0123456789")) != nil,
           s.allSatisfy({ "0123456789.eE+-".contains($0) }), let d = Double(s) {
            return .double(d)
        }
        return .string(s)
    }

    /// The value at a dotted path (`method.k`), if present.
    public func value(at path: [String]) -> ConfigValue? {
        guard let first = path.first else { return self }
        guard case let .map(entries) = self, let v = entries.first(where: { $0.key == first })?.value else { return nil }
        return v.value(at: Array(path.dropFirst()))
    }

    /// Sets the value at a dotted path, creating maps on the way; returns false when a
    /// non-map value sits on the path.
    @discardableResult
    public mutating func set(_ newValue: ConfigValue, at path: [String]) -> Bool {
        guard let first = path.first else { self = newValue; return true }
        guard case var .map(entries) = self else { return false }
        if let i = entries.firstIndex(where: { $0.key == first }) {
            var child = entries[i].value
            guard child.set(newValue, at: Array(path.dropFirst())) else { return false }
            entries[i].value = child
        } else {
            var child: ConfigValue = .map([])
            guard child.set(newValue, at: Array(path.dropFirst())) else { return false }
            entries.append((first, child))
        }
        self = .map(entries)
        return true
    }

    /// Removes the value at a dotted path.
    public mutating func remove(at path: [String]) {
        guard let first = path.first, case var .map(entries) = self else { return }
        if path.count == 1 {
            entries.removeAll { $0.key == first }
        } else if let i = entries.firstIndex(where: { $0.key == first }) {
            entries[i].value.remove(at: Array(path.dropFirst()))
        }
        self = .map(entries)
    }

    /// Every leaf's dotted path, in order.
    public var leafPaths: [String] {
        guard case let .map(entries) = self else { return [] }
        return entries.flatMap { entry -> [String] in
            if case .map = entry.value {
                let children = entry.value.leafPaths
                return children.isEmpty ? [entry.key] : children.map { entry.key + "." + $0 }
            }
            return [entry.key]
        }
    }

    /// The value as YAML (block style for maps, flow style for lists), as `--cfg` prints it.
    public func yaml(indent: Int = 0) -> String {
        guard case let .map(entries) = self else { return scalarYAML }
        let pad = String(repeating: " ", count: indent)
        return entries.map { entry -> String in
            if case let .map(children) = entry.value, !children.isEmpty {
                return "\(pad)\(entry.key):\n" + entry.value.yaml(indent: indent + 2)
            }
            return "\(pad)\(entry.key): \(entry.value.scalarYAML)\n"
        }.joined()
    }

    private var scalarYAML: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return b ? "true" : "false"
        case let .string(s):
            if s.isEmpty { return "''" }
            let special = s.contains(": ") || s.hasPrefix("[") || s.hasPrefix("{") || s.hasPrefix("*") || s.hasPrefix("&")
                || ["true", "false", "null", "~", "yes", "no"].contains(s.lowercased()) || Double(s) != nil
            return special ? "'" + s.replacingOccurrences(of: "'", with: "''") + "'" : s
        case let .list(items): return "[" + items.map(\.scalarYAML).joined(separator: ", ") + "]"
        case .map: return "{}"
        default: return description
        }
    }
}

/// Python's `repr` of a float (shortest round-trip digits, `1.0` for integers, `1e-05` style
/// exponents), which is how `json.dump` writes floats and float keys.
public func pythonRepr(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
    // Swift's description already uses the shortest round-trip digits; it differs from Python
    // only in exponent spelling for large values ("1e+16" in both) and is otherwise identical.
    return d.description
}
