import CZlib
import Foundation

/// Reads files that may be gzip-compressed, through the system zlib.
public enum GzipDecoder {
    /// The bytes of `url`, inflated when they start with the gzip magic `1f 8b` (concatenated
    /// gzip members are all inflated, as Python's `gzip.open` does), returned as they are otherwise.
    /// - Throws: ``DatasetError/unreadable(file:reason:)`` or ``DatasetError/corruptGzip(file:reason:)``.
    public static func contents(of url: URL) throws -> [UInt8] {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: (error as NSError).localizedDescription)
        }
        let bytes = [UInt8](data)
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
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var stream = z_stream()
        guard inflateInit2_(&stream, zlibWrapper ? 15 : 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.corruptGzip(file: name, reason: "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var input = input
        try input.withUnsafeMutableBufferPointer { inBuf in
            guard let base = inBuf.baseAddress else { return }
            stream.next_in = base
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw DatasetError.corruptGzip(file: name, reason: "the stream ends early (truncated after \(output.count) bytes)")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw DatasetError.corruptGzip(file: name, reason: "the stream ends early (truncated after \(output.count) bytes)")
                    }
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding is ignored, as gzip does.
                    let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                    if zlibWrapper || rest.count < 2 || rest[0] != 0x1F || rest[1] != 0x8B { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw DatasetError.corruptGzip(file: name, reason: "zlib could not restart for the next member")
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw DatasetError.corruptGzip(file: name, reason: message)
                }
            }
        }
        return output
    }
}
