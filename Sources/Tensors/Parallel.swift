import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded fork-join loop over index ranges, used for elementwise work on large buffers.
public enum Parallel {
    /// Number of worker threads: the active processor count, or `LINES_THREADS` when set.
    public static let threadCount: Int = {
        if let env = getenv("LINES_THREADS"), let n = Int(String(cString: env)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// Splits `0..<count` into at most `threadCount` contiguous ranges of at least `minChunk`
    /// elements and runs `body` on each, in parallel, returning when all are done.
    @inlinable
    public static func forRanges(count: Int, minChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = max(1, min(threadCount, count / max(1, minChunk)))
        if parts == 1 { body(0..<count); return }
        let step = (count + parts - 1) / parts
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = p * step
                let hi = min(count, lo + step)
                if lo < hi { body(lo..<hi) }
            }
        }
    }

    /// `body(i)` for every `i` in `0..<count` on up to `threadCount` threads, the results in index
    /// order. When calls throw, the error of the lowest index is rethrown, once every call ended.
    public static func map<T>(_ count: Int, _ body: (Int) throws -> T) throws -> [T] {
        let slots = Locked([Result<T, any Error>?](repeating: nil, count: count))
        forEach(count) { i in
            let result = Result { try body(i) }
            slots.withLock { $0[i] = result }
        }
        return try slots.withLock { $0 }.map { slot in
            guard let slot else { preconditionFailure("Parallel.map: an index was not run") }
            return try slot.get()
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count` on up to `threadCount` threads.
    @inlinable
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if count == 1 || threadCount == 1 { for i in 0..<count { body(i) }; return }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
