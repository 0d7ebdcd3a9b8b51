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

    /// Maps `url` read-only.
    /// - Throws: ``CheckpointError/io(path:reason:)`` when the file cannot be opened or mapped.
    public init(url: URL) throws {
        self.url = url
        // A FIFO or a device would block the open or the read; only regular files are mapped.
        var pre = stat()
        if stat(url.path, &pre) == 0, (pre.st_mode & S_IFMT) != S_IFREG, (pre.st_mode & S_IFMT) != S_IFDIR {
            throw CheckpointError.io(path: url.path, reason: "not a regular file (a FIFO, socket or device); give a checkpoint file")
        }
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.io(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CheckpointError.io(path: url.path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw CheckpointError.io(path: url.path, reason: "is a directory") }
        count = Int(st.st_size)
        if count == 0 { base = nil; return }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw CheckpointError.io(path: url.path, reason: "mmap failed: \(String(cString: strerror(errno)))") }
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

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
        let end = (range.upperBound / page) * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED) }
        #endif
    }
}
