import Foundation

/// Snappy's raw block format (Parquet's default codec, as pyarrow writes it): a varint length,
/// then literals and back-references. Every length and offset is checked, and the output never
/// grows past the length the block declares (itself bounded by the caller).
enum Snappy {
    struct Failure: Error { let reason: String }

    /// The block's bytes; `limit` bounds the declared length.
    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        var p = 0
        var declared: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard p < input.count, shift < 35 else { throw Failure(reason: "its length header is cut or too long") }
            let b = input[p]; p += 1
            declared |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard declared <= UInt64(limit) else { throw Failure(reason: "it declares \(declared) bytes, more than the page's \(limit)") }
        let total = Int(declared)
        var out = [UInt8](repeating: 0, count: total)
        var o = 0
        try out.withUnsafeMutableBufferPointer { dst in
            while p < input.count {
                let tag = input[p]; p += 1
                switch tag & 3 {
                case 0:
                    var n = Int(tag >> 2)
                    if n >= 60 {
                        let extra = n - 59
                        guard p + extra <= input.count else { throw Failure(reason: "a literal's length is cut") }
                        n = 0
                        for i in 0..<extra { n |= Int(input[p + i]) << (8 * i) }
                        p += extra
                    }
                    n += 1
                    guard n <= input.count - p, n <= total - o else { throw Failure(reason: "a literal runs past the input or the declared length") }
                    for i in 0..<n { dst[o + i] = input[p + i] }
                    p += n; o += n
                default:
                    let n: Int, offset: Int
                    switch tag & 3 {
                    case 1:
                        guard p < input.count else { throw Failure(reason: "a copy is cut") }
                        n = 4 + Int((tag >> 2) & 7)
                        offset = (Int(tag >> 5) << 8) | Int(input[p]); p += 1
                    case 2:
                        guard p + 2 <= input.count else { throw Failure(reason: "a copy is cut") }
                        n = 1 + Int(tag >> 2)
                        offset = Int(input[p]) | Int(input[p + 1]) << 8; p += 2
                    default:
                        guard p + 4 <= input.count else { throw Failure(reason: "a copy is cut") }
                        n = 1 + Int(tag >> 2)
                        offset = Int(input[p]) | Int(input[p + 1]) << 8 | Int(input[p + 2]) << 16 | Int(input[p + 3]) << 24; p += 4
                    }
                    guard offset > 0, offset <= o, n <= total - o else { throw Failure(reason: "a copy reaches before the start or past the declared length") }
                    // Byte by byte: a copy may overlap what it writes (a run).
                    for i in 0..<n { dst[o + i] = dst[o - offset + i] }
                    o += n
                }
            }
        }
        guard o == total else { throw Failure(reason: "it holds \(o) of the \(total) bytes it declares") }
        return out
    }
}
