import Foundation

/// A NumPy `.npy` file (format versions 1.0, 2.0 and 3.0): its header and where its data starts.
///
/// Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (2 bytes
/// little-endian in 1.0, 4 bytes in 2.0/3.0), then a Python dict literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` padded with spaces and a final
/// newline; the data follows. Object arrays (`descr` `|O`) hold a pickle instead of raw data.
struct NumpyFile: Sendable {
    /// The mapped file.
    let file: MappedFile
    /// The format version, e.g. `(1, 0)`.
    let version: (major: UInt8, minor: UInt8)
    /// The dtype string, e.g. `<f4`, `|u1`, `|O`.
    let descr: String
    /// Whether the data is in column-major order.
    let fortranOrder: Bool
    /// The array's shape; `[]` for a 0-d array.
    let shape: [Int]
    /// Offset of the data (or the pickle, for object arrays) in the file.
    let dataOffset: Int

    /// The magic bytes every `.npy` file starts with.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    private var path: String { file.url.path }

    /// Opens `url` and parses its header.
    /// - Throws: ``CheckpointError/numpy(path:reason:)`` when the header is malformed.
    init(url: URL) throws {
        try self.init(file: try MappedFile(url: url))
    }

    /// Parses the header of a mapped file.
    init(file: MappedFile) throws {
        self.file = file
        let path = file.url.path
        func bad(_ reason: String) -> CheckpointError { .numpy(path: path, reason: reason) }
        guard let head = file.copy(0..<min(file.count, 12)), head.count >= 10, head.starts(with: NumpyFile.magic) else {
            throw bad("not a .npy file: it does not start with \\x93NUMPY")
        }
        version = (head[6], head[7])
        let headerLength: Int
        let headerStart: Int
        switch head[6] {
        case 1:
            headerLength = Int(head[8]) | Int(head[9]) << 8
            headerStart = 10
        case 2, 3:
            guard head.count >= 12 else { throw bad("the file ends inside its header length") }
            headerLength = Int(head[8]) | Int(head[9]) << 8 | Int(head[10]) << 16 | Int(head[11]) << 24
            headerStart = 12
        default:
            throw bad("unsupported .npy format version \(head[6]).\(head[7]) (1.0, 2.0 and 3.0 are read)")
        }
        guard headerLength <= file.count - headerStart, let raw = file.copy(headerStart..<(headerStart + headerLength)) else {
            throw bad("the \(headerLength)-byte header at byte \(headerStart) runs past the end of the \(file.count)-byte file")
        }
        // 1.0 and 2.0 headers are latin-1, 3.0 headers UTF-8.
        let text = head[6] == 3 ? String(decoding: raw, as: UTF8.self) : String(raw.map { Character(Unicode.Scalar($0)) })
        var parser = _PythonLiteralParser(text: text, path: path)
        let header = try parser.parse()
        guard case .dict = header else { throw bad("the header is not a dict: \(text)") }
        guard let descr = header["descr"]?.string else {
            throw bad("the header has no string 'descr' (structured dtypes are not supported): \(text)")
        }
        guard case .bool(let fortran)? = header["fortran_order"] else { throw bad("the header has no boolean 'fortran_order': \(text)") }
        guard let dims = header["shape"]?.items else { throw bad("the header has no tuple 'shape': \(text)") }
        var shape: [Int] = []
        for d in dims {
            guard let v = d.int, v >= 0 else { throw bad("shape \(dims) must hold non-negative integers") }
            shape.append(Int(v))
        }
        self.descr = descr
        self.fortranOrder = fortran
        self.shape = shape
        dataOffset = headerStart + headerLength
    }

    /// The bytes after the header.
    var data: UnsafeRawBufferPointer { file.bytes(dataOffset..<file.count) }

    /// A version-1.0 header for `descr` and `shape`, padded so the data starts at a multiple of
    /// 64 bytes, as `numpy.lib.format.write_array_header_1_0` writes it.
    static func header(descr: String, fortranOrder: Bool = false, shape: [Int]) -> [UInt8] {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var text = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(dims), }"
        let unpadded = magic.count + 2 + 2 + text.utf8.count + 1
        text += String(repeating: " ", count: 64 - unpadded % 64) + "\n"
        let n = text.utf8.count
        return magic + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(text.utf8)
    }
}

/// Parses the Python literals a `.npy` header uses: dicts, tuples, lists, strings, ints, booleans
/// and `None`, into ``PickleValue``.
struct _PythonLiteralParser {
    let scalars: [Unicode.Scalar]
    let path: String
    var i = 0

    init(text: String, path: String) {
        scalars = Array(text.unicodeScalars)
        self.path = path
    }

    func bad(_ reason: String) -> CheckpointError {
        .numpy(path: path, reason: "header literal at character \(i): \(reason)")
    }

    mutating func skipSpace() {
        while i < scalars.count, scalars[i] == " " || scalars[i] == "\n" || scalars[i] == "\t" || scalars[i] == "\r" { i += 1 }
    }

    mutating func parse() throws -> PickleValue {
        let v = try value(depth: 0)
        skipSpace()
        guard i == scalars.count else { throw bad("unexpected text after the literal") }
        return v
    }

    mutating func value(depth: Int) throws -> PickleValue {
        guard depth < 16 else { throw bad("nested too deeply") }
        skipSpace()
        guard i < scalars.count else { throw bad("unexpected end") }
        let c = scalars[i]
        switch c {
        case "{":
            i += 1
            var pairs: [PicklePair] = []
            while true {
                skipSpace()
                if i < scalars.count, scalars[i] == "}" { i += 1; return .dict(pairs) }
                let k = try value(depth: depth + 1)
                skipSpace()
                guard i < scalars.count, scalars[i] == ":" else { throw bad("expected ':'") }
                i += 1
                pairs.append(PicklePair(key: k, value: try value(depth: depth + 1)))
                try separator(close: "}")
            }
        case "(", "[":
            let close: Unicode.Scalar = c == "(" ? ")" : "]"
            i += 1
            var items: [PickleValue] = []
            while true {
                skipSpace()
                if i < scalars.count, scalars[i] == close { i += 1; return c == "(" ? .tuple(items) : .list(items) }
                items.append(try value(depth: depth + 1))
                try separator(close: close)
            }
        case "'", "\"":
            i += 1
            var s = ""
            while i < scalars.count, scalars[i] != c {
                guard scalars[i] != "\\" else { throw bad("escapes in strings are not supported") }
                s.unicodeScalars.append(scalars[i])
                i += 1
            }
            guard i < scalars.count else { throw bad("unterminated string") }
            i += 1
            return .string(s)
        default:
            var word = ""
            while i < scalars.count, scalars[i].properties.isAlphabetic || ("0"..."9").contains(scalars[i]) || scalars[i] == "-" || scalars[i] == "_" {
                word.unicodeScalars.append(scalars[i])
                i += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                // numpy < 2 may write long shapes as `3L`.
                let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
                guard let v = Int64(digits) else { throw bad("unexpected '\(word.isEmpty ? String(c) : word)'") }
                return .int(v)
            }
        }
    }

    mutating func separator(close: Unicode.Scalar) throws {
        skipSpace()
        guard i < scalars.count else { throw bad("unexpected end") }
        if scalars[i] == "," { i += 1; return }
        guard scalars[i] == close else { throw bad("expected ',' or '\(close)'") }
    }
}
