/// Parses a JSON object whose values are arrays of strings (Food-101's `meta/train.json`),
/// keeping the keys in file order, as Python's `json.loads` does; Foundation's parser does not.
///
/// Only what such files hold is accepted: one object, string keys, arrays of strings, with the
/// JSON string escapes (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`).
public struct OrderedJSONLists: Sendable {
    /// `(key, values)` in file order.
    public var entries: [(key: String, values: [String])]

    /// Parses `bytes`; `name` is used in error messages only.
    /// - Throws: ``DatasetError/malformedText(file:line:reason:)`` with the line of the problem.
    public init(bytes: [UInt8], name: String) throws {
        var p = _Parser(bytes: bytes, name: name)
        entries = try p.object()
    }
}

private struct _Parser {
    let bytes: [UInt8]
    let name: String
    var i = 0

    init(bytes: [UInt8], name: String) {
        self.bytes = bytes
        self.name = name
    }

    func fail(_ reason: String) -> DatasetError {
        let line = bytes.prefix(i).filter { $0 == 0x0A }.count + 1
        return .malformedText(file: name, line: line, reason: reason)
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { throw fail("expected '\(Character(UnicodeScalar(c)))'") }
        i += 1
    }

    mutating func peek() -> UInt8? {
        skipSpace()
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func object() throws -> [(key: String, values: [String])] {
        try expect(0x7B)
        var out: [(key: String, values: [String])] = []
        if peek() == 0x7D { i += 1; return out }
        while true {
            let key = try string()
            try expect(0x3A)
            out.append((key, try array()))
            guard let c = peek() else { throw fail("the object is not closed") }
            i += 1
            if c == 0x7D { break }
            guard c == 0x2C else { throw fail("expected ',' or '}'") }
        }
        skipSpace()
        guard i == bytes.count else { throw fail("text after the object") }
        return out
    }

    mutating func array() throws -> [String] {
        try expect(0x5B)
        var out: [String] = []
        if peek() == 0x5D { i += 1; return out }
        while true {
            out.append(try string())
            guard let c = peek() else { throw fail("the array is not closed") }
            i += 1
            if c == 0x5D { return out }
            guard c == 0x2C else { throw fail("expected ',' or ']'") }
        }
    }

    mutating func string() throws -> String {
        try expect(0x22)
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == 0x22 { flush(); return String(scalars) }
            guard c == 0x5C else { raw.append(c); continue }
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case 0x22, 0x5C, 0x2F: raw.append(e)
            case 0x62: raw.append(0x08)
            case 0x66: raw.append(0x0C)
            case 0x6E: raw.append(0x0A)
            case 0x72: raw.append(0x0D)
            case 0x74: raw.append(0x09)
            case 0x75:
                guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                    throw fail("bad \\u escape")
                }
                i += 4
                flush()
                scalars.append(UnicodeScalar(v) ?? "\u{FFFD}")
            default: throw fail("bad escape")
            }
        }
        throw fail("a string is not closed")
    }
}
