import Checkpoints
import Foundation
import LinesZlib

/// The part of Apache Parquet that dataset files use (what pyarrow and the Hugging Face Hub's
/// Parquet conversion write): flat columns of `INT32`, `INT64` and `BYTE_ARRAY` values, required
/// or optional (also as a field of a struct, such as an image's `bytes`), `PLAIN` and dictionary
/// encodings, data pages v1 and v2, uncompressed, Snappy or gzip. Repeated columns and other codecs
/// are refused by name. Every offset, length and count is checked against the file, and the rows
/// are bounded, so a hostile file ends in one sentence.
struct ParquetFile {
    /// A column's values, one per row (nil: null).
    enum Column: Equatable {
        case integers([Int64?])
        case binaries([[UInt8]?])
    }

    struct Failure: Error, CustomStringConvertible {
        let file: String
        let reason: String
        var description: String { "\(file) cannot be read as Parquet: \(reason)" }
    }

    /// A leaf of the schema: its path and what its pages hold.
    struct Leaf: Equatable {
        var path: [String]
        var physicalType: Int64
        var maxDefinition: Int
        var maxRepetition: Int
    }

    let path: String
    let data: Data
    let rowGroups: [ThriftValue]
    let leaves: [Leaf]
    /// Rows in the file (the row groups' sum).
    let rowCount: Int

    /// Reads the footer and the schema; `maxRows` bounds what the file may claim.
    init(url: URL, maxRows: Int = 1 << 24) throws {
        path = url.path
        // Mapped under the SIGBUS guard: a file cut while it is read gives zeros, and the
        // extraction's outputs are then not committed (`AtomicFile` checks the guard).
        do { data = try MappedFile(url: url).data } catch let CheckpointError.io(_, reason) {
            throw Failure(file: url.path, reason: "it cannot be read (\(reason))")
        }
        let name = url.path
        func fail(_ reason: String) -> Failure { Failure(file: name, reason: reason) }
        let n = data.count
        guard n >= 12, data.prefix(4) == Data("PAR1".utf8), data.suffix(4) == Data("PAR1".utf8) else {
            throw fail("it does not start and end with PAR1")
        }
        let footerLength = data.withUnsafeBytes { b in Int(b.loadUnaligned(fromByteOffset: n - 8, as: UInt32.self).littleEndian) }
        guard footerLength <= n - 12 else { throw fail("its footer length \(footerLength) is larger than the file") }
        let meta: ThriftValue = try data.withUnsafeBytes { b in
            var r = ThriftReader(UnsafeRawBufferPointer(rebasing: b[(n - 8 - footerLength)..<(n - 8)]))
            do { return try r.readStruct() } catch let t as ThriftReader.Failure { throw fail("its footer: \(t.reason)") }
        }
        // Schema: a depth-first list whose first element is the root.
        guard let schema = meta[2]?.list, !schema.isEmpty else { throw fail("its footer has no schema") }
        var leaves: [Leaf] = []
        var index = 1
        func walk(_ count: Int, _ prefix: [String], _ def: Int, _ rep: Int, depth: Int) throws {
            guard depth < 64 else { throw fail("its schema nests deeper than 64") }
            for _ in 0..<count {
                guard index < schema.count else { throw fail("its schema has fewer elements than its groups declare") }
                let e = schema[index]
                index += 1
                let repetition = e[3]?.int ?? 0
                let d = def + (repetition == 0 ? 0 : 1), r = rep + (repetition == 2 ? 1 : 0)
                let path = prefix + [e[4]?.string ?? ""]
                if let children = e[5]?.int, children > 0 {
                    guard children <= Int64(schema.count - index) else { throw fail("a group declares \(children) children, more than the schema holds") }
                    try walk(Int(children), path, d, r, depth: depth + 1)
                } else {
                    leaves.append(Leaf(path: path, physicalType: e[1]?.int ?? -1, maxDefinition: d, maxRepetition: r))
                }
            }
        }
        let rootChildren = schema[0][5]?.int ?? 0
        guard rootChildren >= 0, rootChildren < Int64(schema.count) else { throw fail("its schema's root declares \(rootChildren) children") }
        try walk(Int(rootChildren), [], 0, 0, depth: 0)
        self.leaves = leaves
        rowGroups = meta[4]?.list ?? []
        var rows: Int64 = 0
        for g in rowGroups {
            let r = g[3]?.int ?? -1
            guard r >= 0 else { throw fail("a row group has no row count") }
            rows += r
            guard rows <= Int64(maxRows) else { throw fail("it claims more than \(maxRows) rows") }
        }
        rowCount = Int(rows)
    }

    /// The column at `path` (as pyarrow names it: `["labels"]`, `["image", "bytes"]`), all row groups in order.
    func column(_ columnPath: [String]) throws -> Column {
        func fail(_ reason: String) -> Failure { Failure(file: path, reason: "column \(columnPath.joined(separator: ".")): \(reason)") }
        guard let leaf = leaves.first(where: { $0.path == columnPath }) else {
            throw Failure(file: path, reason: "it has no column \(columnPath.joined(separator: ".")) (its columns: \(leaves.map { $0.path.joined(separator: ".") }.joined(separator: ", ")))")
        }
        guard leaf.maxRepetition == 0 else { throw fail("it is a repeated (list) column, which Lines does not read") }
        guard [1, 2, 6].contains(leaf.physicalType) else { throw fail("its physical type \(leaf.physicalType) is not INT32, INT64 or BYTE_ARRAY") }
        var integers: [Int64?] = [], binaries: [[UInt8]?] = []
        for group in rowGroups {
            let rows = Int(group[3]?.int ?? 0)
            guard let chunk = group[1]?.list?.first(where: { ($0[3]?[3]?.list?.compactMap(\.string) ?? []) == columnPath }), let meta = chunk[3] else {
                throw fail("a row group lacks it")
            }
            guard meta[1]?.int == leaf.physicalType else { throw fail("a row group stores it as another type") }
            let codec = meta[4]?.int ?? 0
            guard [0, 1, 2].contains(codec) else {
                let names: [Int64: String] = [3: "LZO", 4: "Brotli", 5: "LZ4", 6: "Zstandard", 7: "LZ4"]
                throw fail("it is compressed with \(names[codec] ?? "codec \(codec)"), which Lines does not read (uncompressed, Snappy and gzip are read)")
            }
            guard let count = meta[5]?.int, count == Int64(rows) else { throw fail("a row group holds \(meta[5]?.int ?? -1) values for \(rows) rows") }
            let dataOffset = meta[9]?.int ?? -1
            let dictionaryOffset = meta[11]?.int ?? 0
            var start = dataOffset
            if dictionaryOffset > 0 && dictionaryOffset < dataOffset { start = dictionaryOffset }
            let size = meta[7]?.int ?? -1
            guard start >= 4, size >= 0, start + size <= Int64(data.count - 8) else { throw fail("its pages lie outside the file") }
            let values = try data.withUnsafeBytes { b in
                try readChunk(UnsafeRawBufferPointer(rebasing: b[Int(start)..<Int(start + size)]), leaf: leaf, codec: codec, count: rows, fail: fail)
            }
            switch values {
            case let .integers(v): integers += v
            case let .binaries(v): binaries += v
            }
        }
        return leaf.physicalType == 6 ? .binaries(binaries) : .integers(integers)
    }

    /// One column chunk's pages (a dictionary page, then data pages) until `count` values are read.
    private func readChunk(_ bytes: UnsafeRawBufferPointer, leaf: Leaf, codec: Int64, count: Int, fail: (String) -> Failure) throws -> Column {
        var dictionary: Column?
        var integers: [Int64?] = [], binaries: [[UInt8]?] = []
        var done = 0
        var p = 0
        while done < count {
            var reader = ThriftReader(bytes, offset: p)
            let header: ThriftValue
            do { header = try reader.readStruct() } catch let t as ThriftReader.Failure { throw fail("a page header: \(t.reason)") }
            p = reader.offset
            let type = header[1]?.int ?? -1
            let compressed = Int(header[3]?.int ?? -1), uncompressed = Int(header[2]?.int ?? -1)
            guard compressed >= 0, compressed <= bytes.count - p, uncompressed >= 0, uncompressed <= 1 << 30 else {
                throw fail("a page's sizes (\(compressed), \(uncompressed)) do not fit the column chunk")
            }
            let body = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + compressed)])
            p += compressed
            switch type {
            case 2:
                let n = Int(header[7]?[1]?.int ?? -1)
                guard n >= 0, n <= uncompressed else { throw fail("a dictionary page declares \(n) values") }
                let page = try Self.inflate(body, codec: codec, size: uncompressed, fail: fail)
                dictionary = try page.withUnsafeBytes { try Self.plain($0, type: leaf.physicalType, count: n, fail: fail).values }
            case 0, 3:
                let isV2 = type == 3
                guard let h = header[isV2 ? 8 : 5] else { throw fail("a data page has no data page header") }
                let n = Int(h[1]?.int ?? -1)
                guard n >= 0, n <= count - done else { throw fail("a data page holds \(n) values where \(count - done) remain") }
                let encoding = h[isV2 ? 4 : 2]?.int ?? -1
                var levels: [UInt32] = []
                var valueBytes: [UInt8]
                let width = leaf.maxDefinition == 0 ? 0 : (Int.bitWidth - leaf.maxDefinition.leadingZeroBitCount)
                if isV2 {
                    let repLength = Int(h[6]?.int ?? 0), defLength = Int(h[5]?.int ?? 0)
                    guard repLength == 0, defLength >= 0, defLength <= body.count else { throw fail("a v2 data page's level lengths do not fit it") }
                    if leaf.maxDefinition > 0 {
                        levels = try Self.hybrid(UnsafeRawBufferPointer(rebasing: body[0..<defLength]), bitWidth: width, count: n, fail: fail)
                    }
                    let rest = UnsafeRawBufferPointer(rebasing: body[defLength...])
                    valueBytes = h[7]?.bool == false ? Array(rest) : try Self.inflate(rest, codec: codec, size: uncompressed - defLength, fail: fail)
                } else {
                    let page = try Self.inflate(body, codec: codec, size: uncompressed, fail: fail)
                    var q = 0
                    if leaf.maxDefinition > 0 {
                        guard page.count >= 4 else { throw fail("a data page ends before its definition levels") }
                        let length = Int(UInt32(page[0]) | UInt32(page[1]) << 8 | UInt32(page[2]) << 16 | UInt32(page[3]) << 24)
                        guard length <= page.count - 4 else { throw fail("a data page's definition levels run past it") }
                        levels = try page.withUnsafeBytes { try Self.hybrid(UnsafeRawBufferPointer(rebasing: $0[4..<(4 + length)]), bitWidth: width, count: n, fail: fail) }
                        q = 4 + length
                    }
                    valueBytes = Array(page[q...])
                }
                let present = leaf.maxDefinition == 0 ? n : levels.reduce(0) { $0 + ($1 == UInt32(leaf.maxDefinition) ? 1 : 0) }
                let decoded: Column = try valueBytes.withUnsafeBytes { v in
                    switch encoding {
                    case 0:
                        return try Self.plain(v, type: leaf.physicalType, count: present, fail: fail).values
                    case 2, 8:
                        guard let dictionary else { throw fail("a dictionary-encoded page comes before any dictionary page") }
                        guard v.count >= 1, v[0] <= 32 else { throw fail("a dictionary page's index width is unreadable") }
                        let indices = try Self.hybrid(UnsafeRawBufferPointer(rebasing: v[1...]), bitWidth: Int(v[0]), count: present, fail: fail)
                        switch dictionary {
                        case let .integers(d):
                            return .integers(try indices.map { i in guard Int(i) < d.count else { throw fail("an index \(i) past its dictionary of \(d.count)") }; return d[Int(i)] })
                        case let .binaries(d):
                            return .binaries(try indices.map { i in guard Int(i) < d.count else { throw fail("an index \(i) past its dictionary of \(d.count)") }; return d[Int(i)] })
                        }
                    default:
                        throw fail("its values use encoding \(encoding), which Lines does not read (PLAIN and dictionary are read)")
                    }
                }
                // Spread the present values over the rows by their definition levels.
                func spread<T>(_ values: [T?]) -> [T?] {
                    guard leaf.maxDefinition > 0 else { return values }
                    var out: [T?] = []
                    out.reserveCapacity(n)
                    var k = 0
                    for l in levels {
                        if l == UInt32(leaf.maxDefinition) { out.append(values[k]); k += 1 } else { out.append(nil) }
                    }
                    return out
                }
                switch decoded {
                case let .integers(v): integers += spread(v)
                case let .binaries(v): binaries += spread(v)
                }
                done += n
            default:
                continue   // index pages and unknown kinds are skipped
            }
            if p >= bytes.count && done < count { throw fail("its pages hold \(done) of \(count) values") }
        }
        return leaf.physicalType == 6 ? .binaries(binaries) : .integers(integers)
    }

    /// `count` PLAIN values of a physical type.
    private static func plain(_ v: UnsafeRawBufferPointer, type: Int64, count: Int, fail: (String) -> Failure) throws -> (values: Column, used: Int) {
        var p = 0
        switch type {
        case 1, 2:
            let width = type == 1 ? 4 : 8
            guard count <= v.count / width else { throw fail("\(count) PLAIN values need \(count * width) bytes, the page has \(v.count)") }
            var out: [Int64?] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                var x: UInt64 = 0
                for i in 0..<width { x |= UInt64(v[p + i]) << (8 * UInt64(i)) }
                out.append(width == 4 ? Int64(Int32(truncatingIfNeeded: x)) : Int64(bitPattern: x))
                p += width
            }
            return (.integers(out), p)
        default:
            guard count <= v.count / 4 else { throw fail("\(count) PLAIN byte arrays need at least \(count * 4) bytes, the page has \(v.count)") }
            var out: [[UInt8]?] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                guard v.count - p >= 4 else { throw fail("a byte array's length runs past its page") }
                let length = Int(UInt32(v[p]) | UInt32(v[p + 1]) << 8 | UInt32(v[p + 2]) << 16 | UInt32(v[p + 3]) << 24)
                p += 4
                guard length <= v.count - p else { throw fail("a byte array of \(length) runs past its page") }
                out.append(Array(v[p..<(p + length)]))
                p += length
            }
            return (.binaries(out), p)
        }
    }

    /// Parquet's RLE / bit-packed hybrid: `count` values of `bitWidth` bits.
    static func hybrid(_ b: UnsafeRawBufferPointer, bitWidth: Int, count: Int, fail: (String) -> Failure) throws -> [UInt32] {
        guard (0...32).contains(bitWidth) else { throw fail("a level or index width \(bitWidth) is not 0–32") }
        var out: [UInt32] = []
        out.reserveCapacity(count)
        var p = 0
        while out.count < count {
            var header: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard p < b.count, shift < 64 else { throw fail("its levels or indices end after \(out.count) of \(count)") }
                let x = b[p]; p += 1
                header |= UInt64(x & 0x7F) << shift
                if x & 0x80 == 0 { break }
                shift += 7
            }
            if header & 1 == 0 {
                let run = header >> 1
                let bytes = (bitWidth + 7) / 8
                guard bytes <= b.count - p else { throw fail("a run's value is cut") }
                var value: UInt32 = 0
                for i in 0..<bytes { value |= UInt32(b[p + i]) << (8 * UInt32(i)) }
                p += bytes
                let take = Int(min(run, UInt64(count - out.count)))
                out.append(contentsOf: repeatElement(value, count: take))
            } else {
                let groups = header >> 1
                guard groups <= UInt64(b.count - p) else { throw fail("a bit-packed run is cut") }
                let need = Int(groups) * bitWidth
                guard need <= b.count - p else { throw fail("a bit-packed run is cut") }
                let values = Int(groups) * 8
                var bit = 0
                for _ in 0..<values {
                    var v: UInt32 = 0
                    for k in 0..<bitWidth {
                        let at = bit + k
                        if (b[p + (at >> 3)] >> UInt8(at & 7)) & 1 == 1 { v |= 1 << UInt32(k) }
                    }
                    bit += bitWidth
                    if out.count < count { out.append(v) }
                }
                p += need
            }
        }
        return out
    }

    /// A page's bytes after its codec; `size` is what the page header says they come to.
    static func inflate(_ body: UnsafeRawBufferPointer, codec: Int64, size: Int, fail: (String) -> Failure) throws -> [UInt8] {
        switch codec {
        case 0:
            return Array(body)
        case 1:
            do { return try Snappy.decompress(body, limit: size) } catch let s as Snappy.Failure { throw fail("a Snappy page: \(s.reason)") }
        default:
            var out = [UInt8](repeating: 0, count: size)
            var stream = z_stream()
            guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib could not be initialised") }
            defer { inflateEnd(&stream) }
            let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = UInt32(body.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return LinesZlib.inflate(&stream, Z_FINISH)
            }
            guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw fail("a gzip page does not inflate to its \(size) bytes") }
            return out
        }
    }
}
