/// Iso-C (Marczak et al., ICML 2025), as `iso_c` in danielm1405/iso-merging: per matrix, the
/// summed task matrix M = Σ_t τ_t (computed as the code does, `sum(tvs) / T * T`) with its
/// spectrum flattened to the mean singular value, τ_MTL = U · diag(mean(S)) · Vᵀ
/// (``_Matrix/scaledPolar(_:rows:columns:scale:method:key:)``); other tensors get `sum(tvs) / T`.
struct IsoCMerge: SummedTaskVectorTensorMerge {
    func merge(summed: [Float], taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        var summed = summed
        let d = Float(T)
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else {
            summed.withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] /= d } }
            return summed
        }
        // (sum / T) · T, rounded in Float as the code's tensors are.
        summed.withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] = p[j] / d * d } }
        return try summed.withUnsafeBufferPointer { p throws(MergeError) in
            try _Matrix.scaledPolar(p, rows: shape[0], columns: shape[1], scale: { $0.reduce(0, +) / Double($0.count) },
                                    method: "iso_c", key: name)
        }
    }
}
