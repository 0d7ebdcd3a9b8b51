#if canImport(CBLAS)
import CBLAS
#endif

/// OpenBLAS threading: its own threads for large products, one thread for small products issued
/// from inside ``Parallel`` workers (where its threads would oversubscribe the cores).
///
/// OpenBLAS's thread count is one setting for the whole process, and some of its routines
/// (`dsytrd`'s `dsymv`, and so `dsyevd`) round differently with another count. Single-threaded
/// sections are therefore counted across threads: the count goes back to all threads only when
/// the last open section closes, so that a merge running beside another piece of work (a second
/// merge, an encoder) keeps one thread throughout and gives the same bytes every time.
public enum BLASThreads {
    /// The single-threaded sections open now, in any thread.
    private static let openSections = Locked(0)

    /// Runs `body` with OpenBLAS limited to one thread, then restores `Parallel.threadCount`
    /// unless another single-threaded section is still open.
    @inline(__always)
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        beginSingleThreaded()
        defer { endSingleThreaded() }
        return try body()
    }

    /// Opens a single-threaded section (for a phase whose callers run in parallel themselves);
    /// close it with ``endSingleThreaded()`` (`defer`).
    public static func beginSingleThreaded() {
        openSections.withLock { open in
            open += 1
            #if canImport(CBLAS)
            openblas_set_num_threads(1)
            #endif
        }
    }

    /// Closes a section opened by ``beginSingleThreaded()``; the last one to close restores
    /// `Parallel.threadCount` threads.
    public static func endSingleThreaded() {
        openSections.withLock { open in
            open = max(0, open - 1)
            #if canImport(CBLAS)
            if open == 0 { openblas_set_num_threads(Int32(Parallel.threadCount)) }
            #endif
        }
    }

    /// OpenBLAS's thread count now (1 where there is no OpenBLAS).
    public static var current: Int {
        #if canImport(CBLAS)
        return Int(openblas_get_num_threads())
        #else
        return 1
        #endif
    }

    /// Sets OpenBLAS to `Parallel.threadCount` threads (`LINES_THREADS` or the core count), unless
    /// a single-threaded section is open (then its work runs on one thread).
    public static func useAllThreads() {
        openSections.withLock { open in
            #if canImport(CBLAS)
            if open == 0 { openblas_set_num_threads(Int32(Parallel.threadCount)) }
            #endif
        }
    }
}
