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

    /// Files up to this size are read into memory by ``withContents(of:unreadable:dropsOnFailure:_:)``
    /// and ``bytes(of:unreadable:)`` rather than mapped: one `read` costs less than setting up and
    /// tearing down a map per small image.
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
        defer { close(fd) }
        if size <= readLimit { return try readWhole(fd, size: size, unreadable: unreadable).withUnsafeBytes(body) }
        return try mapped(url, fd: fd, size: size, unreadable: unreadable, dropsOnFailure: dropsOnFailure, body)
    }

    /// `body` over the map of the open file `fd`, checked afterwards for a cut.
    private static func mapped<R>(_ url: URL, fd: Int32, size: Int, unreadable: (String) -> any Error, dropsOnFailure: Bool,
                                  _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let file: MappedFile
        do { file = try MappedFile(url: url, fd: fd, size: size) } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
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

    /// The bytes of the file at `url`, checked as ``withContents(of:unreadable:dropsOnFailure:_:)``
    /// checks them; a file of up to 1 MiB is read straight into the array (no second copy).
    /// - Throws: `unreadable(reason)` (see ``withContents(of:unreadable:dropsOnFailure:_:)``).
    public static func bytes(of url: URL, unreadable: (String) -> any Error) throws -> [UInt8] {
        let fd: Int32, size: Int
        do { (fd, size) = try openRegular(url) } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
        defer { close(fd) }
        if size <= readLimit { return try readWhole(fd, size: size, unreadable: unreadable) }
        return try mapped(url, fd: fd, size: size, unreadable: unreadable, dropsOnFailure: false) { [UInt8]($0) }
    }

    /// `size` bytes read from `fd`; a short read (the file shrank) is reported as the cut.
    private static func readWhole(_ fd: Int32, size: Int, unreadable: (String) -> any Error) throws -> [UInt8] {
        var failure: (any Error)?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = unreadable(String(cString: strerror(errno))); break }
                if n == 0 {
                    failure = unreadable("the file was truncated while Lines was reading it (\(done) bytes read, \(size) bytes when opened)")
                    break
                }
                done += n
            }
            count = done
        }
        if let failure { throw failure }
        return bytes
    }
}
