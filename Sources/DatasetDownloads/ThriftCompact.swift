import Foundation

/// A value of Apache Thrift's compact protocol, the encoding of Parquet's footer and page
/// headers, read without a schema: structs keep their fields by id.
enum ThriftValue: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case list([ThriftValue])
    case map([(ThriftValue, ThriftValue)])
    case structure([Int16: ThriftValue])

    static func == (a: ThriftValue, b: ThriftValue) -> Bool {
        switch (a, b) {
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.binary(x), .binary(y)): return x == y
        case let (.list(x), .list(y)): return x == y
        case let (.map(x), .map(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.structure(x), .structure(y)): return x == y
        default: return false
        }
    }

    /// Field `id` of a struct.
    subscript(_ id: Int16) -> ThriftValue? {
        if case let .structure(fields) = self { return fields[id] }
        return nil
    }

    var int: Int64? { if case let .int(v) = self { return v }; return nil }
    var bool: Bool? { if case let .bool(v) = self { return v }; return nil }
    var list: [ThriftValue]? { if case let .list(v) = self { return v }; return nil }
    var string: String? { if case let .binary(v) = self { return String(decoding: v, as: UTF8.self) }; return nil }
}

/// Reads compact-protocol values from bytes, every length checked against what is left and the
/// nesting bounded, so that a hostile footer ends in ``Failure``, never in a crash or a huge allocation.
struct ThriftReader {
    struct Failure: Error { let reason: String }

    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private let maxDepth = 32

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// One struct, from its first field header to its stop byte.
    mutating func readStruct() throws -> ThriftValue {
        try readStruct(depth: 0)
    }

    private mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Failure(reason: "it ends inside a Thrift structure") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw Failure(reason: "a Thrift integer runs past 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    private mutating func length() throws -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) else { throw Failure(reason: "a Thrift length (\(n)) runs past the end") }
        return Int(n)
    }

    private mutating func readStruct(depth: Int) throws -> ThriftValue {
        guard depth < maxDepth else { throw Failure(reason: "Thrift structures nest deeper than \(maxDepth)") }
        var fields: [Int16: ThriftValue] = [:]
        var last: Int16 = 0
        while true {
            let header = try byte()
            let type = header & 0x0F
            if type == 0 { return .structure(fields) }
            let delta = Int16(header >> 4)
            let id: Int16
            if delta == 0 {
                let raw = try zigzag()
                guard let v = Int16(exactly: raw) else { throw Failure(reason: "a Thrift field id (\(raw)) is out of range") }
                id = v
            } else {
                id = last &+ delta
            }
            last = id
            fields[id] = try value(type: type, depth: depth, inStruct: true)
        }
    }

    private mutating func value(type: UInt8, depth: Int, inStruct: Bool) throws -> ThriftValue {
        switch type {
        // In a struct the type is the value; in a list or map each bool is a byte (1 true).
        case 1, 2: return .bool(inStruct ? type == 1 : try byte() == 1)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 7:
            guard bytes.count - offset >= 8 else { throw Failure(reason: "it ends inside a Thrift double") }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return .double(Double(bitPattern: bits))
        case 8:
            let n = try length()
            defer { offset += n }
            return .binary(Array(bytes[offset..<(offset + n)]))
        case 9, 10:
            let header = try byte()
            var count = Int(header >> 4)
            if count == 15 { count = try length() }
            // Each element takes at least a byte (a bool list's too), so the count is bounded by what is left.
            guard count <= bytes.count - offset else { throw Failure(reason: "a Thrift list of \(count) runs past the end") }
            var items: [ThriftValue] = []
            for _ in 0..<count { items.append(try value(type: header & 0x0F, depth: depth + 1, inStruct: false)) }
            return .list(items)
        case 11:
            let count = try length()
            guard count > 0 else { return .map([]) }
            let types = try byte()
            var items: [(ThriftValue, ThriftValue)] = []
            for _ in 0..<count {
                let k = try value(type: types >> 4, depth: depth + 1, inStruct: false)
                items.append((k, try value(type: types & 0x0F, depth: depth + 1, inStruct: false)))
            }
            return .map(items)
        case 12:
            return try readStruct(depth: depth + 1)
        default:
            throw Failure(reason: "an unknown Thrift type \(type)")
        }
    }
}
