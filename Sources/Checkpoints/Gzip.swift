import LinesZlib

/// gzip and zlib streams through the system zlib: the one wrapper of it (IDX and split files,
/// compressed MAT-file elements, the CLIP merges file).
package enum Gzip {
    /// Why a stream does not inflate.
    package struct Failure: Error, Equatable {
        package let reason: String
    }

    /// Inflates `input`: one or more gzip members, or with `zlibWrapper` one zlib (RFC 1950) stream.
    package static func inflate(_ input: [UInt8], zlibWrapper: Bool) throws(Failure) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var stream = z_stream()
        guard inflateInit2_(&stream, zlibWrapper ? 15 : 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(reason: "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var input = input
        try input.withUnsafeMutableBufferPointer { (inBuf) throws(Failure) in
            guard let base = inBuf.baseAddress else { return }
            stream.next_in = base
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return LinesZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw Failure(reason: "the stream ends early (truncated after \(output.count) bytes)")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 {
                        throw Failure(reason: "the stream ends early (truncated after \(output.count) bytes)")
                    }
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding is ignored, as gzip does.
                    let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                    if zlibWrapper || rest.count < 2 || rest[0] != 0x1F || rest[1] != 0x8B { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw Failure(reason: "zlib could not restart for the next member")
                    }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw Failure(reason: message)
                }
            }
        }
        return output
    }
}
