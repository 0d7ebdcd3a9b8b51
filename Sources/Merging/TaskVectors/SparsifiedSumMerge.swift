/// Task Arithmetic over thinned task vectors, τ_MTL = Σ_t sparsify(τ_t), per tensor, with the
/// mergekit path's kernels (``Sparsify``): DARE's random drop and Breadcrumbs' magnitude band.
struct SparsifiedSumMerge: TaskVectorTensorMerge {
    enum Rule: Sendable {
        /// DARE (Yu et al., 2024): each entry dropped with probability p, the kept ones scaled by
        /// 1/(1 − p) (the paper's and FusionBench's rescale, not mergekit's L1 rescale); task t
        /// draws from its own stream of the tensor's seed.
        case dare(dropRate: Double)
        /// Model Breadcrumbs (Davari & Belilovsky, 2024), as mergekit's `magnitude_outliers`:
        /// per tensor, the largest `gamma` share and the smallest 1 − density − gamma of |τ_t| dropped.
        case breadcrumbs(density: Double, gamma: Double)
    }

    var rule: Rule

    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        let n = taus.count / max(1, T)
        var sum = [Float](repeating: 0, count: n)
        for t in 0..<T {
            var tau = Array(taus[(t * n)..<((t + 1) * n)])
            switch rule {
            case let .dare(p):
                var random = _TensorRandom(seed: seed, stream: t)
                Sparsify.bernoulli(&tau, density: 1 - p, rescale: false, random: &random)
                let scale = Float(1 / (1 - p))
                for j in 0..<n { tau[j] *= scale }
            case let .breadcrumbs(density, gamma):
                Sparsify.magnitudeOutliers(&tau, density: density, gamma: gamma, rescale: false)
            }
            for j in 0..<n { sum[j] += tau[j] }
        }
        return sum
    }
}
