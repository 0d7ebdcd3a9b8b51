import CZlib
import Foundation

/// Inflates gzip data (the CLIP merges file ships as `.txt.gz`) through the system zlib.
enum _Gunzip {
    /// The inflated bytes of a gzip stream, or `nil` when zlib rejects it.
    static func inflate(_ input: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(1 << 16, input.count * 4))
        var produced = 0
        var source = input
        let status: Int32 = source.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
                let code: Int32 = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress.map { $0 + produced }
                    stream.avail_out = UInt32(out.count - produced)
                    let code = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = out.count - Int(stream.avail_out)
                    return code
                }
                if code == Z_STREAM_END { return code }
                if code != Z_OK && !(code == Z_BUF_ERROR && stream.avail_out == 0) { return code }
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output[0..<produced])
    }
}
