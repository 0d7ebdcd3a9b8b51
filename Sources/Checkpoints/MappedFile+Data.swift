import Foundation

extension MappedFile {
    /// The whole file as `Data`, without a copy. The bytes stay mapped, and under the SIGBUS guard
    /// (a file that shrinks reads as zeros past its new end, see ``truncatedWhileMapped``), as long
    /// as the `Data` or any copy of it lives.
    public var data: Data {
        guard count > 0, let start = allBytes.baseAddress else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: start), count: count,
                    deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }

    /// Runs `body` over the bytes of the file at `url`, mapped under the SIGBUS guard, and checks
    /// afterwards that the file did not shrink meanwhile: what `body` computed from zeros is never
    /// returned. A FIFO or device is refused before it is opened (a read would block).
    ///
    /// - Parameter unreadable: makes the caller's error from a reason: the file cannot be opened
    ///   or mapped, is not a regular file, or shrank while `body` read it.
    /// - Throws: `unreadable(reason)` for those, or what `body` throws.
    public static func withContents<R>(of url: URL, unreadable: (String) -> any Error,
                                       _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let file: MappedFile
        do { file = try MappedFile(url: url) } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
        func intact() throws {
            do { try file.checkIntact() } catch let CheckpointError.io(_, reason) { throw unreadable(reason) }
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
