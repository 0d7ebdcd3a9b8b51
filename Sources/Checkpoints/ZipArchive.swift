import Foundation

/// A minimal read-only ZIP reader over a memory-mapped file, enough for `torch.save` archives.
///
/// It reads the end-of-central-directory record (searching back over a trailing comment), the
/// ZIP64 locator and record when a field overflows 32 bits, and every central-directory entry with
/// its ZIP64 extra field. Record data is handed out only for stored (method 0) entries, at
/// `local_header_ofs + 30 + filename_len + extra_len` with both lengths read from the *local*
/// header, as `caffe2/serialize/inline_container.cc` does. Every offset is bounds-checked; a
/// damaged archive throws ``CheckpointError/malformedArchive(path:reason:)``.
struct ZipArchive: Sendable {
    /// One central-directory entry.
    struct Entry: Sendable, Equatable {
        /// The stored path, e.g. `archive/data/0`.
        var name: String
        /// Compression method (0 = stored, 8 = deflate).
        var method: UInt16
        /// General-purpose flags (bit 0 = encrypted).
        var flags: UInt16
        /// Size of the data as stored.
        var compressedSize: Int
        /// Size of the data once decompressed.
        var uncompressedSize: Int
        /// Offset of the entry's local header in the file.
        var localHeaderOffset: Int
    }

    /// The mapped archive.
    let file: MappedFile
    /// Entries in central-directory order.
    let entries: [Entry]
    private let index: [String: Int]

    private var path: String { file.url.path }

    /// Parses the central directory of `file`.
    /// - Throws: ``CheckpointError/malformedArchive(path:reason:)`` naming the record and offset.
    init(file: MappedFile) throws {
        self.file = file
        let path = file.url.path
        let bytes = _Bytes(file.allBytes, path: path)
        func bad(_ reason: String) -> CheckpointError { .malformedArchive(path: path, reason: reason) }

        // End of central directory: 22 bytes + a comment of at most 65535 bytes.
        let size = file.count
        guard size >= 22 else { throw bad("the file is \(size) bytes, too short for a zip end-of-central-directory record (22 bytes); it may be truncated") }
        var eocd = -1
        var pos = size - 22
        let lowest = max(0, size - 22 - 65535)
        while pos >= lowest {
            if try bytes.u32(pos) == 0x0605_4B50 {
                let commentLength = Int(try bytes.u16(pos + 20))
                if pos + 22 + commentLength <= size { eocd = pos; break }
            }
            pos -= 1
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record in the last \(size - lowest) bytes; the archive is truncated or not a zip") }

        var entryCount = Int(try bytes.u16(eocd + 10))
        var directorySize = Int(try bytes.u32(eocd + 12))
        var directoryOffset = Int(try bytes.u32(eocd + 16))
        if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a 20-byte locator sits right before the EOCD and points at the ZIP64 record.
            let locator = eocd - 20
            guard locator >= 0, try bytes.u32(locator) == 0x0706_4B50 else {
                throw bad("the end-of-central-directory record at byte \(eocd) has ZIP64 markers but no ZIP64 locator at byte \(locator)")
            }
            let recordOffset = try bytes.int64(locator + 8, what: "ZIP64 end-of-central-directory offset")
            guard try bytes.u32(recordOffset) == 0x0606_4B50 else {
                throw bad("no ZIP64 end-of-central-directory record at byte \(recordOffset)")
            }
            entryCount = try bytes.int64(recordOffset + 32, what: "ZIP64 entry count")
            directorySize = try bytes.int64(recordOffset + 40, what: "ZIP64 central-directory size")
            directoryOffset = try bytes.int64(recordOffset + 48, what: "ZIP64 central-directory offset")
        }
        guard directoryOffset <= size, directorySize <= size - directoryOffset else {
            throw bad("the central directory (\(directorySize) bytes at byte \(directoryOffset)) runs past the end of the \(size)-byte file")
        }
        guard entryCount <= directorySize / 46 else {
            throw bad("\(entryCount) entries cannot fit in a \(directorySize)-byte central directory")
        }

        var entries: [Entry] = []
        entries.reserveCapacity(entryCount)
        var index: [String: Int] = [:]
        var p = directoryOffset
        let end = directoryOffset + directorySize
        for i in 0..<entryCount {
            guard p <= end - 46, try bytes.u32(p) == 0x0201_4B50 else {
                throw bad("central-directory entry \(i) at byte \(p) has no valid signature")
            }
            let flags = try bytes.u16(p + 8)
            let method = try bytes.u16(p + 10)
            var compressed = Int(try bytes.u32(p + 20))
            var uncompressed = Int(try bytes.u32(p + 24))
            let nameLength = Int(try bytes.u16(p + 28))
            let extraLength = Int(try bytes.u16(p + 30))
            let commentLength = Int(try bytes.u16(p + 32))
            var localOffset = Int(try bytes.u32(p + 42))
            let nameStart = p + 46
            guard nameStart + nameLength + extraLength + commentLength <= end else {
                throw bad("central-directory entry \(i) at byte \(p) runs past the end of the directory")
            }
            let name = String(decoding: try bytes.slice(nameStart, nameLength), as: UTF8.self)
            // ZIP64 extended information (id 0x0001): the 64-bit values present are those whose
            // 32-bit fields hold 0xFFFFFFFF, in the order uncompressed, compressed, offset.
            var e = nameStart + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try bytes.u16(e)
                let length = Int(try bytes.u16(e + 2))
                guard e + 4 + length <= extraEnd else {
                    throw bad("entry '\(name)': extra field at byte \(e) runs past its \(extraLength)-byte area")
                }
                if id == 0x0001 {
                    var q = e + 4
                    func next(_ what: String) throws -> Int {
                        guard q + 8 <= e + 4 + length else { throw bad("entry '\(name)': ZIP64 extra field at byte \(e) lacks the \(what)") }
                        defer { q += 8 }
                        return try bytes.int64(q, what: "ZIP64 \(what) of '\(name)'")
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next("uncompressed size") }
                    if compressed == 0xFFFF_FFFF { compressed = try next("compressed size") }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next("local header offset") }
                }
                e += 4 + length
            }
            // Python's zipfile reads the last record of a name, miniz (torch) the first: refuse.
            guard index[name] == nil else {
                throw bad("the archive holds two records named '\(name)' (the second at central-directory byte \(p)); readers disagree on which one counts")
            }
            index[name] = entries.count
            entries.append(Entry(name: name, method: method, flags: flags, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
            p = extraEnd + commentLength
        }
        self.entries = entries
        self.index = index
    }

    /// The entry named `name`, if any.
    func entry(_ name: String) -> Entry? {
        index[name].map { entries[$0] }
    }

    /// The absolute byte range of a stored entry's data in the file.
    /// - Throws: ``CheckpointError/malformedArchive(path:reason:)`` when the entry is compressed,
    ///   encrypted, or its local header or data lie outside the file.
    func dataRange(_ entry: Entry) throws -> Range<Int> {
        func bad(_ reason: String) -> CheckpointError { .malformedArchive(path: path, reason: "entry '\(entry.name)': \(reason)") }
        guard entry.flags & 1 == 0 else { throw bad("is encrypted, which torch.save never does") }
        guard entry.method == 0 else {
            throw bad("uses compression method \(entry.method); only stored (uncompressed, method 0) records are supported, as torch.save writes them")
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw bad("is stored but its compressed size \(entry.compressedSize) differs from its size \(entry.uncompressedSize)")
        }
        let bytes = _Bytes(file.allBytes, path: path)
        let h = entry.localHeaderOffset
        guard h >= 0, h <= file.count - 30, try bytes.u32(h) == 0x0403_4B50 else {
            throw bad("no local header at byte \(h)")
        }
        let start = h + 30 + Int(try bytes.u16(h + 26)) + Int(try bytes.u16(h + 28))
        guard start <= file.count, entry.compressedSize <= file.count - start else {
            throw bad("its \(entry.compressedSize) bytes of data at byte \(start) run past the end of the \(file.count)-byte file")
        }
        return start..<(start + entry.compressedSize)
    }

    /// The bytes of a stored entry, pointing into the map.
    func data(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        file.bytes(try dataRange(entry))
    }
}

/// Bounds-checked little-endian loads from a byte buffer.
struct _Bytes {
    let buffer: UnsafeRawBufferPointer
    let path: String

    init(_ buffer: UnsafeRawBufferPointer, path: String) {
        self.buffer = buffer
        self.path = path
    }

    private func check(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, count >= 0, offset <= buffer.count - count else {
            throw CheckpointError.malformedArchive(path: path, reason: "a \(count)-byte field at byte \(offset) lies outside the \(buffer.count)-byte file")
        }
    }

    func u16(_ offset: Int) throws -> UInt16 {
        try check(offset, 2)
        return UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) throws -> UInt32 {
        try check(offset, 4)
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A 64-bit field that must fit a non-negative `Int`.
    func int64(_ offset: Int, what: String) throws -> Int {
        try check(offset, 8)
        let v = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        guard v <= UInt64(Int.max) else {
            throw CheckpointError.malformedArchive(path: path, reason: "\(what) \(v) at byte \(offset) is out of range")
        }
        return Int(v)
    }

    func slice(_ offset: Int, _ count: Int) throws -> UnsafeRawBufferPointer {
        try check(offset, count)
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + count)])
    }
}
