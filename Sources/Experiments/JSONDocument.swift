import Checkpoints
import Foundation

/// A JSON value with ordered object keys, written exactly as Python's `json.dump(obj, f, indent=4)`
/// writes the reference's result files (floats in `repr` form, ASCII-escaped strings).
public indirect enum JSONDocument: Sendable, Equatable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null
    case object([JSONEntry])
    case array([JSONDocument])

    /// The text `json.dump(…, indent=4)` produces (no trailing newline).
    public func rendered(indent: Int = 0) -> String {
        switch self {
        case let .number(d): return pythonRepr(d)
        case let .integer(i): return String(i)
        case let .string(s): return Self.quote(s)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(items):
            if items.isEmpty { return "[]" }
            let pad = String(repeating: " ", count: indent + 4)
            return "[\n" + items.map { pad + $0.rendered(indent: indent + 4) }.joined(separator: ",\n")
                + "\n" + String(repeating: " ", count: indent) + "]"
        case let .object(entries):
            if entries.isEmpty { return "{}" }
            let pad = String(repeating: " ", count: indent + 4)
            return "{\n" + entries.map { pad + Self.quote($0.key) + ": " + $0.value.rendered(indent: indent + 4) }.joined(separator: ",\n")
                + "\n" + String(repeating: " ", count: indent) + "}"
        }
    }

    /// A JSON string literal with `ensure_ascii` escaping.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.utf16 {
            switch u {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(u)))
            default: out += String(format: "\\u%04x", u)
            }
        }
        return out + "\""
    }

    /// The object's value for `key`.
    public subscript(key: String) -> JSONDocument? {
        guard case let .object(entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

extension JSONDocument {
    /// A parsed value, to be written back: integers (no fraction, no exponent) stay integers,
    /// other numbers become the double Python reads.
    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let text): self = Int(text).map(JSONDocument.integer) ?? .number(Double(text) ?? .nan)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONDocument.init))
        case .object(let pairs): self = .object(pairs.map { JSONEntry($0.key, JSONDocument($0.value)) })
        }
    }
}

/// One key of a ``JSONDocument`` object.
public struct JSONEntry: Sendable, Equatable {
    public var key: String
    public var value: JSONDocument
    public init(_ key: String, _ value: JSONDocument) {
        self.key = key
        self.value = value
    }
}
