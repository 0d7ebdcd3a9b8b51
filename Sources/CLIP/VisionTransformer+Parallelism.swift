import Foundation

extension VisionTransformer {
    /// How a batch is spread over the cores.
    public enum Parallelism: String, Sendable, CaseIterable {
        /// One sgemm per linear layer over the whole batch's `N · tokens` rows, threaded by
        /// OpenBLAS; row-wise kernels and attention split over ``Tensors/Parallel`` threads.
        case splitProducts = "products"
        /// The batch split into one contiguous sub-batch per thread, each run start to end with
        /// single-threaded sgemms: no synchronisation between layers and no idle BLAS threads.
        case splitBatch = "batch"

        /// `LINES_CLIP_PARALLELISM` (`batch` or `products`) when set, else ``splitBatch``.
        public static let `default`: Parallelism = {
            if let v = ProcessInfo.processInfo.environment["LINES_CLIP_PARALLELISM"], let p = Parallelism(rawValue: v) {
                return p
            }
            return .splitBatch
        }()
    }
}
