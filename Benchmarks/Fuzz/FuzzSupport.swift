// Shared by every fuzz target (compiled into each; see Benchmarks/fuzz.sh).
import Foundation

/// The input as a file (the parsers that map files read it from /dev/shm), rewritten per input.
enum FuzzFile {
    nonisolated(unsafe) static var url: URL = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return URL(fileURLWithPath: dir).appendingPathComponent("lines-fuzz-\(getpid())")
    }()

    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> URL {
        let u = url.appendingPathExtension(suffix)
        let fd = open(u.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if fd >= 0 {
            var off = 0
            while off < size { let n = Foundation.write(fd, data + off, size - off); if n <= 0 { break }; off += n }
            close(fd)
        }
        return u
    }
}
