#if canImport(CBLAS)
import CBLAS
#endif
import Tensors

/// OpenBLAS threading: one thread inside data-parallel workers, all cores otherwise.
enum _BLASThreads {
    /// Runs `body` with OpenBLAS limited to one thread, then restores `Parallel.threadCount`.
    static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(CBLAS)
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(Parallel.threadCount)) }
        #endif
        return try body()
    }
}
