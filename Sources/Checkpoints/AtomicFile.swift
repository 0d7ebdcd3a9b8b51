import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in the destination folder, then fsynced and renamed
/// into place, so that a failure never leaves a half-written output behind.
public final class AtomicFile {
    /// The final destination.
    public let url: URL
    /// The temporary file being written.
    public let temporaryURL: URL
    private var fd: Int32
    private var done = false

    /// Creates the temporary file next to `url`.
    /// - Throws: ``CheckpointError/io(path:reason:)`` when the folder is not writable.
    public init(url: URL) throws {
        self.url = url
        let dir = url.deletingLastPathComponent()
        TemporaryFiles.removeStale(next: url)
        let tmp = TemporaryFiles.sibling(of: url)
        self.temporaryURL = tmp
        fd = open(tmp.path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, reason: "cannot create a temporary file in \(dir.path): \(String(cString: strerror(errno)))") }
        TemporaryFiles.register(tmp)
    }

    deinit { if !done { abandon() } }

    /// Writes `bytes` at absolute `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.io(path: url.path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            written += n
        }
    }

    /// Starts writing back the dirty pages of `range` without waiting (Linux
    /// `sync_file_range(SYNC_FILE_RANGE_WRITE)`, looked up at run time; a no-op elsewhere), so
    /// that the final fsync in ``commit()`` has less left to do.
    public func startWriteback(_ range: Range<Int>) {
        #if os(Linux)
        guard let f = AtomicFile.syncFileRange, !range.isEmpty else { return }
        _ = f(fd, Int64(range.lowerBound), Int64(range.count), 2 /* SYNC_FILE_RANGE_WRITE */)
        #endif
    }

    #if os(Linux)
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()
    #endif

    /// Writes an array at absolute `offset`.
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { (p: UnsafeRawBufferPointer) throws in
            if p.count > 0 { try write(p, at: offset) }
        }
    }

    /// Runs before any output is renamed into place; a throw abandons the output. The CLI sets
    /// it to ``MappedFile/checkNoneTruncated()``, so nothing computed from an input that shrank
    /// while it was read is ever written. Set it once, at start-up.
    nonisolated(unsafe) public static var beforeCommit: (@Sendable () throws -> Void)?

    /// Fsyncs the data, renames the temporary file onto `url`, and fsyncs the folder.
    public func commit() throws {
        guard !done else { return }
        if let check = AtomicFile.beforeCommit {
            do { try check() } catch { abandon(); throw error }
        }
        if fsync(fd) != 0 { throw CheckpointError.io(path: url.path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
        close(fd)
        done = true
        if rename(temporaryURL.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryURL.path)
            TemporaryFiles.unregister(temporaryURL)
            throw CheckpointError.io(path: url.path, reason: "rename failed: \(reason)")
        }
        TemporaryFiles.unregister(temporaryURL)
        let dfd = open(url.deletingLastPathComponent().path, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Closes and deletes the temporary file; the destination is untouched.
    public func abandon() {
        guard !done else { return }
        done = true
        close(fd)
        unlink(temporaryURL.path)
        TemporaryFiles.unregister(temporaryURL)
    }
}
