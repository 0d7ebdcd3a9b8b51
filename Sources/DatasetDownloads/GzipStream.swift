import LinesZlib
import Foundation

/// Inflates a `.gz` file chunk by chunk (the system zlib), so that an archive of any size is
/// extracted in bounded memory.
struct GzipStream {
    struct Failure: Error { let reason: String }

    /// Calls `body` with each inflated chunk of `file` (several gzip members in a row are one stream)
    /// until it returns false.
    static func inflate(_ file: URL, _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw Failure(reason: "cannot read \(file.path)") }
        defer { try? handle.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(reason: "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: 1 << 20)
        var ended = false
        var wanted = true
        while wanted, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            var input = [UInt8](chunk)
            try input.withUnsafeMutableBufferPointer { inBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(inBuf.count)
                while stream.avail_in > 0 && wanted {
                    if ended {
                        // Another gzip member follows.
                        guard inflateReset(&stream) == Z_OK else { throw Failure(reason: "zlib could not be reset") }
                        ended = false
                    }
                    let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                        stream.next_out = o.baseAddress
                        stream.avail_out = UInt32(o.count)
                        return LinesZlib.inflate(&stream, Z_NO_FLUSH)
                    }
                    let produced = out.count - Int(stream.avail_out)
                    if produced > 0 { wanted = try out.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
                    switch status {
                    case Z_STREAM_END: ended = true
                    case Z_OK, Z_BUF_ERROR: break
                    default: throw Failure(reason: "not a valid gzip stream (zlib error \(status))")
                    }
                }
            }
        }
        guard ended || !wanted else { throw Failure(reason: "the gzip stream is truncated") }
    }
}
