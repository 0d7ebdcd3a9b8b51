import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file front to back in large aligned blocks, bypassing the page cache (Linux
/// `O_DIRECT`) where the file system allows it.
///
/// Buffered `pwrite`s of a large output copy every byte into freshly allocated page-cache pages,
/// which costs more than computing a merge (and the pages must still reach the disk at the final
/// fsync). Staged into one aligned block and written with direct I/O, the bytes go from that
/// block to the disk. Where direct I/O is refused (tmpfs, some network file systems, other
/// systems), every block is written with plain `pwrite`; the bytes are the same either way.
///
/// Two blocks alternate: while one is written by a background thread, the caller fills the other.
final class BlockAppender {
    /// Block size: a multiple of any logical block size (direct I/O alignment).
    static let blockSize = 8 << 20
    private let file: AtomicFile
    private let memory: UnsafeMutableRawPointer
    private var current = 0
    private var fill = 0
    private var blockStart = 0
    /// Used only on `queue` while blocks are in flight.
    private var directFD: Int32
    private let queue = DispatchQueue(label: "lines.block-appender")
    /// Blocks handed to `queue` and not written yet (waited on with `group.wait()`, never with
    /// `queue.sync`, which would deadlock if the last reference went away on `queue`).
    private let group = DispatchGroup()
    /// One per block: available when the block is free to fill.
    private let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
    private let lock = NSLock()
    private var failure: Error?

    /// Starts at file offset 0 with `prefix` (the file's first bytes) staged.
    init(file: AtomicFile, prefix: [UInt8]) throws {
        self.file = file
        guard let p = mmap(nil, 2 * BlockAppender.blockSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else {
            throw CheckpointError.io(path: file.url.path, reason: "cannot allocate a write buffer: \(String(cString: strerror(errno)))")
        }
        memory = p
        directFD = BlockAppender.openDirect(file.temporaryURL.path)
        free[0].wait()
        try prefix.withUnsafeBytes { try append($0) }
    }

    deinit {
        group.wait()
        // The block being filled is held; libdispatch refuses to free a semaphore below its
        // initial value.
        free[current].signal()
        if directFD >= 0 { close(directFD) }
        munmap(memory, 2 * BlockAppender.blockSize)
    }

    /// `open(path, O_WRONLY | O_DIRECT)`, or −1 where there is no direct I/O.
    private static func openDirect(_ path: String) -> Int32 {
        if ProcessInfo.processInfo.environment["LINES_NO_DIRECT_IO"] != nil { return -1 }
        #if os(Linux) && arch(x86_64)
        return open(path, O_WRONLY | 0o40000)
        #elseif os(Linux) && arch(arm64)
        return open(path, O_WRONLY | 0o200000)
        #else
        return -1
        #endif
    }

    private func block(_ i: Int) -> UnsafeMutableRawPointer { memory + i * BlockAppender.blockSize }

    /// Appends `bytes` after everything appended so far.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var src = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(BlockAppender.blockSize - fill, left)
            (block(current) + fill).copyMemory(from: src, byteCount: n)
            fill += n
            src += n
            left -= n
            if fill == BlockAppender.blockSize { try flushBlock() }
        }
    }

    /// Hands the full current block to the writer thread and switches to the other block once
    /// its previous write is done.
    private func flushBlock() throws {
        let i = current, start = blockStart
        group.enter()
        queue.async { [self] in
            do { try writeBlock(block(i), at: start) } catch { setFailure(error) }
            free[i].signal()
            group.leave()
        }
        blockStart += BlockAppender.blockSize
        fill = 0
        current = 1 - i
        free[current].wait()
        if let failure = takeFailure() { throw failure }
    }

    /// Writes one full block (on the writer thread).
    private func writeBlock(_ p: UnsafeMutableRawPointer, at start: Int) throws {
        let size = BlockAppender.blockSize
        while directFD >= 0 {
            let n = pwrite(directFD, p, size, off_t(start))
            if n == size { return }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EINVAL && errno != EOPNOTSUPP {
                throw CheckpointError.io(path: file.url.path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            // Direct I/O refused (EINVAL: alignment or file system) or cut short: buffered
            // writes from here on, this block included.
            close(directFD)
            directFD = -1
        }
        try file.write(UnsafeRawBufferPointer(start: p, count: size), at: start)
    }

    private func setFailure(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    private func takeFailure() -> Error? {
        lock.lock(); defer { lock.unlock() }
        return failure
    }

    /// Waits until the writer thread is idle (before the file is closed or deleted).
    func waitForWrites() { group.wait() }

    /// Writes what is left (a partial block, with a buffered write) and waits for the writer
    /// thread; call once, last.
    func finish() throws {
        if fill > 0 { try file.write(UnsafeRawBufferPointer(start: block(current), count: fill), at: blockStart) }
        blockStart += fill
        fill = 0
        group.wait()
        if directFD >= 0 { close(directFD); directFD = -1 }
        if let failure = takeFailure() { throw failure }
    }
}
