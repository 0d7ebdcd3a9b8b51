#if canImport(CBLAS)
import CBLAS
#endif
import Tensors

/// Switches OpenBLAS between its own threads (large products) and single-threaded calls (small
/// products issued from inside ``Parallel`` loops, where its threads would oversubscribe the cores).
enum _BLASThreads {
    /// Runs `body` with OpenBLAS limited to one thread, then restores `Parallel.threadCount`.
    @inline(__always)
    static func singleThreaded(_ body: () -> Void) {
        #if canImport(CBLAS)
        openblas_set_num_threads(1)
        body()
        openblas_set_num_threads(Int32(Parallel.threadCount))
        #else
        body()
        #endif
    }

    /// Sets OpenBLAS to `Parallel.threadCount` threads (`LINES_THREADS` or the core count).
    static func useAllThreads() {
        #if canImport(CBLAS)
        openblas_set_num_threads(Int32(Parallel.threadCount))
        #endif
    }
}
