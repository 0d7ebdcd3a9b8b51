import Checkpoints
import Foundation

/// Reads files that may be gzip-compressed (through ``Gzip``), with errors naming the file.
public enum GzipDecoder {
    /// The bytes of `url`, inflated when they start with the gzip magic `1f 8b` (concatenated
    /// gzip members are all inflated, as Python's `gzip.open` does), returned as they are otherwise.
    /// - Throws: ``DatasetError/unreadable(file:reason:)`` or ``DatasetError/corruptGzip(file:reason:)``.
    public static func contents(of url: URL) throws -> [UInt8] {
        let bytes = try MappedFile.bytes(of: url, unreadable: { DatasetError.unreadable(file: url.path, reason: $0) })
        guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return bytes }
        return try inflate(bytes, name: url.path)
    }

    /// Inflates a complete gzip stream (one or more members).
    /// - Throws: ``DatasetError/corruptGzip(file:reason:)`` naming `name`.
    public static func inflate(_ input: [UInt8], name: String) throws -> [UInt8] {
        try inflate(input, name: name, zlibWrapper: false)
    }

    /// Inflates one zlib-wrapped (RFC 1950) stream, as MAT-file `miCOMPRESSED` elements hold.
    /// - Throws: ``DatasetError/corruptGzip(file:reason:)`` naming `name`.
    public static func inflateZlib(_ input: ArraySlice<UInt8>, name: String) throws -> [UInt8] {
        try inflate(Array(input), name: name, zlibWrapper: true)
    }

    static func inflate(_ input: [UInt8], name: String, zlibWrapper: Bool) throws -> [UInt8] {
        do {
            return try Gzip.inflate(input, zlibWrapper: zlibWrapper)
        } catch {
            throw DatasetError.corruptGzip(file: name, reason: error.reason)
        }
    }
}
