import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MappedFile {
    /// The whole file as `Data`, without a copy. The bytes stay mapped, and under the SIGBUS guard
    /// (a file that shrinks reads as zeros past its new end, see ``truncatedWhileMapped``), as long
    /// as the `Data` or any copy of it lives.
    public var data: Data {
        guard count > 0, let start = allBytes.baseAddress else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: start), count: count,
                    deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }

    /// Files up to this size are read into memory by ``withContents(of:unreadable:_:)`` rather than
    /// mapped: one `read` costs less than setting up and tearing down a map per small image.
    static let readLimit = 1 << 20

    /// Runs `body` over the bytes of the file at `url` and makes sure they are the file's: a file of
    /// up to 1 MiB is read into memory (a file that shrinks meanwhile gives a short read), a larger
    /// one mapped under the SIGBUS guard and checked afterwards, so that what `body` computed from
    /// the zeros past a cut is never returned. A FIFO or device is refused before it is opened (a
    /// read would block).
    ///
    /// - Parameters:
    ///   - unreadable: makes the caller's error from a reason: the file cannot be opened, read or
    ///     mapped, is not a regular file, or shrank while it was read.
    ///   - dropsOnFailure: the caller drops everything it read when this throws (a cache that
    ///     treats the file as a miss), so a cut need not fail the process's later commits
    ///     (``checkNoneTruncated()``).
    /// - Throws: `unreadable(reason)` for those, or what `body` throws.
    public static func withContents<R>(of url: URL, unreadable: (String) -> any Error, dropsOnFailure: Bool = false,
                                       _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let fd: Int32, size: Int
        do { (fd, size) = try openRegular(url) } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
        if size <= readLimit {
            defer { close(fd) }
            var bytes = [UInt8](repeating: 0, count: size)
            var done = 0
            while done < size {
                let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw unreadable(String(cString: strerror(errno))) }
                if n == 0 { throw unreadable("the file was truncated while Lines was reading it (\(done) bytes read, \(size) bytes when opened)") }
                done += n
            }
            return try bytes.withUnsafeBytes(body)
        }
        close(fd)
        let file: MappedFile
        do { file = try MappedFile(url: url) } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
        func intact() throws {
            do { try file.checkIntact() } catch let CheckpointError.io(_, reason) {
                if dropsOnFailure { file.forgiveTruncation() }
                throw unreadable(reason)
            }
        }
        let result: R
        do { result = try body(file.allBytes) } catch {
            // A parse error from the zeros of a cut file is reported as the cut.
            try intact()
            throw error
        }
        try intact()
        return result
    }
}
