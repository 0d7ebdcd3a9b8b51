import CMapGuard
import Tensors
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file, shared by the readers that point into it.
///
/// Mapping costs nothing until pages are touched, so opening a 10 GB checkpoint is instant and
/// reading one tensor faults in only that tensor's pages.
public final class MappedFile: @unchecked Sendable {
    /// The mapped file.
    public let url: URL
    /// Length of the file in bytes.
    public let count: Int
    private let base: UnsafeRawPointer?
    /// The SIGBUS guard's slot for this mapping (-1: unguarded).
    private var guardSlot: Int32 = -1

    /// Maps `url` read-only.
    /// - Throws: ``CheckpointError/io(path:reason:)`` when the file cannot be opened or mapped.
    public convenience init(url: URL) throws {
        let (fd, size) = try Self.openRegular(url)
        defer { close(fd) }
        try self.init(url: url, fd: fd, size: size)
    }

    /// Maps the open regular file `fd` (`size` bytes; ``openRegular(_:)``), which the caller closes.
    init(url: URL, fd: Int32, size: Int) throws {
        self.url = url
        count = size
        if count == 0 { base = nil; return }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw CheckpointError.io(path: url.path, reason: "mmap failed: \(String(cString: strerror(errno)))") }
        base = UnsafeRawPointer(p)
        #if os(Linux)
        // Pages only, no 2 MB mappings: where the page cache holds the file in 2 MB folios the
        // kernel would map them whole (a PMD each), and ``release(_:)`` of a read range rarely
        // covers one, so they stayed resident (a merge's peak RSS 0.3 -> 0.5 GB, measured).
        _ = madvise(p, count, 15 /* MADV_NOHUGEPAGE */)
        #endif
        guardSlot = lines_map_guard_register(p, count)
        if guardSlot >= 0 { Self.guarded.withLock { $0[guardSlot] = url.path } }
    }

    /// Opens `url` for reading after checking that it is a regular file (a FIFO or a device would
    /// block the open or the read); the descriptor and the file's size.
    /// - Throws: ``CheckpointError/io(path:reason:)``.
    static func openRegular(_ url: URL) throws -> (fd: Int32, size: Int) {
        var pre = stat()
        if stat(url.path, &pre) == 0, (pre.st_mode & S_IFMT) != S_IFREG, (pre.st_mode & S_IFMT) != S_IFDIR {
            throw CheckpointError.io(path: url.path, reason: "not a regular file (a FIFO, socket or device); give a regular file")
        }
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, reason: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CheckpointError.io(path: url.path, reason: reason)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw CheckpointError.io(path: url.path, reason: "is a directory")
        }
        return (fd, Int(st.st_size))
    }

    deinit {
        if guardSlot >= 0 {
            if lines_map_guard_faults(guardSlot) > 0 { Self.noteTruncated(url.path, expected: count) }
            Self.guarded.withLock { _ = $0.removeValue(forKey: guardSlot) }
            lines_map_guard_unregister(guardSlot)
        }
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    // MARK: Files that shrink while mapped

    /// Whether the file shrank while mapped and a read reached past its new end. Such reads
    /// return zeros (instead of the SIGBUS that would end the process), so whatever was computed
    /// from this file is wrong: check ``checkIntact()`` before trusting a result.
    public var truncatedWhileMapped: Bool { guardSlot >= 0 && lines_map_guard_faults(guardSlot) > 0 }

    /// - Throws: ``CheckpointError/io(path:reason:)`` when the file shrank while it was read.
    public func checkIntact() throws {
        if truncatedWhileMapped { throw Self.truncationError(url.path, expected: count) }
    }

    /// - Throws: ``CheckpointError/io(path:reason:)`` naming the first file of this process that
    ///   shrank while it was mapped and read (open or already closed).
    public static func checkNoneTruncated() throws {
        guard lines_map_guard_total_faults() > 0 else { return }
        let open = guarded.withLock { slots in slots.first { slot, _ in lines_map_guard_faults(slot) > 0 }?.value }
        if let path = open { throw truncationError(path, expected: nil) }
        if let (path, size) = closedTruncated.withLock({ $0.first }) { throw truncationError(path, expected: size) }
    }

    /// Forgets that this file was cut, for a reader that dropped everything it read from it (a
    /// cache treating the file as a miss): nothing computed from the zeros can reach an output, so
    /// ``checkNoneTruncated()`` need not fail later commits over it.
    func forgiveTruncation() {
        if guardSlot >= 0 { lines_map_guard_forgive(guardSlot) }
    }

    /// The files of this process cut while they were mapped and read (open or already closed).
    static var truncatedPaths: [String] {
        guarded.withLock { slots in slots.filter { lines_map_guard_faults($0.key) > 0 }.map(\.value) }
            + closedTruncated.withLock { $0.map(\.0) }
    }

    private static func truncationError(_ path: String, expected: Int?) -> CheckpointError {
        var now = stat()
        let size = stat(path, &now) == 0 ? "\(now.st_size) bytes now" : "gone now"
        let was = expected.map { ", \($0) bytes when opened" } ?? ""
        return .io(path: path, reason: "the file was truncated while Lines was reading it (\(size)\(was)); the bytes past its new end read as zeros, so nothing computed from it was written")
    }

    private static func noteTruncated(_ path: String, expected: Int) {
        closedTruncated.withLock { $0.append((path, expected)) }
    }

    private static let guarded = Locked<[Int32: String]>([:])
    private static let closedTruncated = Locked<[(String, Int)]>([])

    /// The bytes `range` of the file. - Precondition: `range` lies within the file.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "MappedFile: range out of bounds")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Whole file.
    public var allBytes: UnsafeRawBufferPointer { bytes(0..<count) }

    /// Copies `range` into an array, or `nil` when it is out of bounds.
    public func copy(_ range: Range<Int>) -> [UInt8]? {
        guard range.lowerBound >= 0, range.upperBound <= count else { return nil }
        return [UInt8](bytes(range))
    }

    /// Tells the kernel the range will be read soon and sequentially.
    public func adviseSequential(_ range: Range<Int>) {
        #if canImport(Glibc)
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, MADV_WILLNEED)
        #endif
    }

    /// Maps the pages of `range` in one call (`MADV_POPULATE_READ`, Linux 5.14+), instead of a
    /// page fault per few pages as they are first read; a kernel without it ignores the advice.
    public func populate(_ range: Range<Int>) {
        #if canImport(Glibc)
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), range.upperBound - start, 22 /* MADV_POPULATE_READ */)
        #endif
    }

    /// Tells the kernel the pages of `range` can be dropped (they are clean and re-readable).
    public func release(_ range: Range<Int>) {
        #if canImport(Glibc)
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = ((range.lowerBound + page - 1) / page) * page
        // Whole pages inside `range`, and the file's last page when `range` reaches the end.
        let end = range.upperBound == count ? ((count + page - 1) / page) * page : (range.upperBound / page) * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED) }
        #endif
    }
}
