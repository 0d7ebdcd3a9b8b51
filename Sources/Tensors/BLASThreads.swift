#if canImport(CBLAS)
import CBLAS
#endif

/// OpenBLAS threading: its own threads for large products, one thread for small products issued
/// from inside ``Parallel`` workers (where its threads would oversubscribe the cores).
public enum BLASThreads {
    /// Runs `body` with OpenBLAS limited to one thread, then restores `Parallel.threadCount`.
    @inline(__always)
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(CBLAS)
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Parallel.threadCount)) }
        #endif
        return try body()
    }

    /// Sets OpenBLAS to `count` threads (for a phase whose callers run in parallel themselves).
    public static func setThreads(_ count: Int) {
        #if canImport(CBLAS)
        openblas_set_num_threads(Int32(max(1, count)))
        #endif
    }

    /// Sets OpenBLAS to `Parallel.threadCount` threads (`LINES_THREADS` or the core count).
    public static func useAllThreads() {
        #if canImport(CBLAS)
        openblas_set_num_threads(Int32(Parallel.threadCount))
        #endif
    }
}
