import Checkpoints
import Foundation

/// A MATLAB level-5 MAT-file (what `scipy.io.loadmat` reads; not v7.3/HDF5): its top-level
/// variables, with numeric, char, cell and struct arrays, compressed (`miCOMPRESSED`) or not.
///
/// Values stay in MATLAB's column-major order; ``MATFile/Array/dimensions`` are MATLAB's.
/// Little- and big-endian files are read. Sparse and object arrays are refused.
public struct MATFile: Sendable {
    /// One MATLAB array.
    public struct Array: Sendable {
        /// MATLAB's array class (`mxDOUBLE_CLASS` = 6, `mxUINT8_CLASS` = 9, `mxCELL_CLASS` = 1, …).
        public var classID: Int
        /// MATLAB's dimensions, column-major.
        public var dimensions: [Int]
        /// The numeric values' raw bytes as stored (little-endian after reading), of element type ``storageType``.
        public var data: [UInt8]
        /// The `miXXX` type code of ``data`` (MATLAB may store doubles as smaller integers).
        public var storageType: Int
        /// Cell elements, or struct elements × fields (column-major, fields in ``fieldNames`` order).
        public var elements: [Array]
        /// Field names of a struct array.
        public var fieldNames: [String]

        /// Number of elements (product of dimensions).
        public var count: Int { dimensions.reduce(1, *) }

        /// The numeric values as `Double`, converted from the storage type.
        /// - Throws: ``DatasetError/malformedMAT(file:offset:reason:)`` for a storage type that is not numeric.
        public func doubles(file: String) throws -> [Double] {
            let size: Int
            switch storageType {
            case 1, 2: size = 1
            case 3, 4: size = 2
            case 5, 6, 7: size = 4
            case 9, 12, 13: size = 8
            default: throw DatasetError.malformedMAT(file: file, offset: 0, reason: "storage type \(storageType) is not numeric")
            }
            return data.withUnsafeBytes { raw in
                (0..<(data.count / size)).map { i -> Double in
                    let o = i * size
                    switch storageType {
                    case 1: return Double(raw.load(fromByteOffset: o, as: Int8.self))
                    case 2: return Double(raw[o])
                    case 3: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                    case 4: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                    case 5: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                    case 6: return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                    case 7: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
                    case 9: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                    case 12: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int64.self)))
                    default: return Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)))
                    }
                }
            }
        }

        /// The text of a char array (stored as UTF-16, UTF-8 or bytes).
        public var string: String {
            switch storageType {
            case 4, 17:
                let units = stride(from: 0, to: data.count - 1, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
                return String(decoding: units, as: UTF16.self)
            default:
                return String(decoding: data, as: UTF8.self)
            }
        }
    }

    /// The top-level variables by name.
    public var variables: [String: Array]

    /// Reads the MAT-file at `url`.
    /// - Throws: ``DatasetError`` naming the file: unreadable, not level 5, malformed, damaged compression.
    public init(contentsOf url: URL) throws {
        let bytes = try MappedFile.bytes(of: url, unreadable: { DatasetError.unreadable(file: url.path, reason: $0) })
        try self.init(bytes: bytes, name: url.path)
    }

    /// Parses MAT-file bytes; `name` is used in error messages only.
    public init(bytes: [UInt8], name: String) throws {
        guard bytes.count >= 128 else {
            throw DatasetError.malformedMAT(file: name, offset: 0, reason: "\(bytes.count) bytes, shorter than the 128-byte header")
        }
        let version = bytes[126] == 0x49 ? Int(bytes[124]) | Int(bytes[125]) << 8 : Int(bytes[125]) | Int(bytes[124]) << 8
        if version == 0x0200 {
            throw DatasetError.malformedMAT(file: name, offset: 0, reason: "this is a v7.3 (HDF5) MAT-file; save it with -v7 or read it with h5py")
        }
        let bigEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (0x49, 0x4D): bigEndian = false  // "IM"
        case (0x4D, 0x49): bigEndian = true   // "MI"
        default: throw DatasetError.malformedMAT(file: name, offset: 126, reason: "no MATLAB 5 endian indicator (IM/MI); not a level-5 MAT-file")
        }
        let reader = _MATReader(name: name, bigEndian: bigEndian)
        var variables: [String: Array] = [:]
        var offset = 128
        while offset < bytes.count {
            guard offset + 8 <= bytes.count else {
                throw DatasetError.malformedMAT(file: name, offset: offset, reason: "\(bytes.count - offset) stray bytes where a data element should start (truncated file?)")
            }
            let (named, next) = try reader.element(bytes, at: offset, depth: 0)
            if let (varName, array) = named { variables[varName] = array }
            offset = next
        }
        self.variables = variables
    }

    /// The variable `key`, or an error naming the file and the variable.
    public func variable(_ key: String, file: String) throws -> Array {
        guard let v = variables[key] else {
            throw DatasetError.malformedMAT(file: file, offset: 0, reason: "no variable '\(key)' (it has \(variables.keys.sorted().joined(separator: ", ")))")
        }
        return v
    }
}

private struct _MATReader {
    let name: String
    let bigEndian: Bool

    func fail(_ offset: Int, _ reason: String) -> DatasetError { .malformedMAT(file: name, offset: offset, reason: reason) }

    /// The 32-bit value at `o`; a value that runs past the data is a malformed file.
    func u32(_ b: [UInt8], _ o: Int) throws -> UInt32 {
        guard o >= 0, o + 4 <= b.count else { throw fail(o, "a 4-byte value runs past the end of the data (truncated file?)") }
        let v = UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
        return bigEndian ? v.byteSwapped : v
    }

    /// A tag at `o`: (type, size, data start, next element offset).
    func tag(_ b: [UInt8], _ o: Int) throws -> (type: Int, size: Int, start: Int, next: Int) {
        guard o + 8 <= b.count else { throw fail(o, "a data element tag runs past the end of the data") }
        let first = try u32(b, o)
        if first >> 16 != 0 {  // small data element: size and type in 4 bytes, data in the next 4
            let size = Int(first >> 16)
            guard size <= 4 else { throw fail(o, "small data element of \(size) bytes") }
            return (Int(first & 0xFFFF), size, o + 4, o + 8)
        }
        let type = Int(first)
        let size = Int(try u32(b, o + 4))
        guard size <= b.count - o - 8 else { throw fail(o, "an element of \(size) bytes runs past the end of the data (truncated file?)") }
        let padded = type == 15 ? size : (size + 7) & ~7
        return (type, size, o + 8, min(b.count, o + 8 + padded))
    }

    /// Element bytes with multi-byte values brought to little-endian.
    func payload(_ b: [UInt8], _ start: Int, _ size: Int, type: Int) -> [UInt8] {
        var out = Swift.Array(b[start..<(start + size)])
        guard bigEndian else { return out }
        let width: Int
        switch type {
        case 3, 4, 17: width = 2
        case 5, 6, 7, 18: width = 4
        case 9, 12, 13: width = 8
        default: width = 1
        }
        if width > 1 {
            for i in stride(from: 0, to: out.count - width + 1, by: width) { out[i..<(i + width)].reverse() }
        }
        return out
    }

    /// Reads the top-level or nested element at `offset`: a named array (miMATRIX) or nothing.
    func element(_ b: [UInt8], at offset: Int, depth: Int) throws -> ((String, MATFile.Array)?, Int) {
        guard depth < 32 else { throw fail(offset, "arrays nested deeper than 32 levels") }
        let t = try tag(b, offset)
        switch t.type {
        case 15:  // miCOMPRESSED: one element, zlib-compressed
            let inner = try GzipDecoder.inflateZlib(b[t.start..<(t.start + t.size)], name: name)
            let (named, _) = try element(inner, at: 0, depth: depth + 1)
            return (named, t.next)
        case 14:
            if t.size == 0 { return (("", MATFile.Array(classID: 0, dimensions: [0, 0], data: [], storageType: 0, elements: [], fieldNames: [])), t.next) }
            return (try matrix(b, t.start, t.start + t.size, depth: depth), t.next)
        default:
            return (nil, t.next)
        }
    }

    func matrix(_ b: [UInt8], _ start: Int, _ end: Int, depth: Int) throws -> (String, MATFile.Array) {
        var o = start
        let flags = try tag(b, o)
        guard flags.size >= 4 else { throw fail(o, "array flags missing") }
        let classID = Int(try u32(b, flags.start) & 0xFF)
        let complex = (try u32(b, flags.start) >> 11) & 1 == 1
        o = flags.next
        let dimsTag = try tag(b, o)
        guard dimsTag.size % 4 == 0 else { throw fail(o, "the dimensions take \(dimsTag.size) bytes, not a multiple of 4") }
        let dims = try stride(from: 0, to: dimsTag.size, by: 4).map { Int(Int32(bitPattern: try u32(b, dimsTag.start + $0))) }
        guard dims.allSatisfy({ $0 >= 0 }) else { throw fail(o, "negative dimension in \(dims)") }
        var product = 1
        for d in dims {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, p <= b.count * 8 + 1 else { throw fail(o, "dimensions \(dims) are larger than the file could hold") }
            product = p
        }
        o = dimsTag.next
        let nameTag = try tag(b, o)
        let varName = String(decoding: b[nameTag.start..<(nameTag.start + nameTag.size)], as: UTF8.self)
        o = nameTag.next
        var array = MATFile.Array(classID: classID, dimensions: dims, data: [], storageType: 0, elements: [], fieldNames: [])
        let count = dims.reduce(1, *)
        switch classID {
        case 1:  // cell
            for _ in 0..<count {
                guard o < end else { throw fail(o, "cell array '\(varName)' has fewer than \(count) elements") }
                let (named, next) = try element(b, at: o, depth: depth + 1)
                array.elements.append(named?.1 ?? MATFile.Array(classID: 0, dimensions: [0, 0], data: [], storageType: 0, elements: [], fieldNames: []))
                o = next
            }
        case 2:  // struct
            let lengthTag = try tag(b, o)
            guard lengthTag.size >= 4 else { throw fail(o, "struct '\(varName)' has no field name length") }
            let fieldLength = Int(try u32(b, lengthTag.start))
            o = lengthTag.next
            let namesTag = try tag(b, o)
            guard fieldLength > 0 else { throw fail(o, "struct '\(varName)' has field names of length 0") }
            guard fieldLength <= 4096 else { throw fail(o, "struct '\(varName)' announces field names of \(fieldLength) bytes") }
            array.fieldNames = stride(from: 0, to: namesTag.size - fieldLength + 1, by: fieldLength).map { i in
                String(decoding: b[(namesTag.start + i)..<(namesTag.start + i + fieldLength)].prefix { $0 != 0 }, as: UTF8.self)
            }
            o = namesTag.next
            for _ in 0..<(count * array.fieldNames.count) {
                guard o < end else { throw fail(o, "struct array '\(varName)' has fewer fields than announced") }
                let (named, next) = try element(b, at: o, depth: depth + 1)
                array.elements.append(named?.1 ?? MATFile.Array(classID: 0, dimensions: [0, 0], data: [], storageType: 0, elements: [], fieldNames: []))
                o = next
            }
        case 4, 6...15:  // char and numeric
            guard !complex else { throw fail(o, "'\(varName)' is complex; only real arrays are read") }
            let real = try tag(b, o)
            array.storageType = real.type
            array.data = payload(b, real.start, real.size, type: real.type)
        default:
            throw fail(start, "'\(varName)' is of MATLAB class \(classID) (sparse, object or function), which Lines does not read")
        }
        return (varName, array)
    }
}
