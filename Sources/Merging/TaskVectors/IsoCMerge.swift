/// Iso-C (Marczak et al., ICML 2025), as `iso_c` in danielm1405/iso-merging: per matrix, the
/// summed task matrix M = Σ_t τ_t (computed as the code does, `sum(tvs) / T * T`) with its
/// spectrum flattened to the mean singular value, τ_MTL = U · diag(mean(S)) · Vᵀ; other tensors
/// get `sum(tvs) / T`.
struct IsoCMerge: SummedTaskVectorTensorMerge {
    func merge(summed: [Float], taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        var summed = summed
        let d = Float(T)
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else {
            summed.withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] /= d } }
            return summed
        }
        // (sum / T) · T, rounded in Float as the code's tensors are, straight into the Double matrix.
        let matrix = summed.withUnsafeBufferPointer { p in
            _Matrix(rows: shape[0], columns: shape[1], values: [Double](unsafeUninitializedCapacity: p.count) { v, count in
                for j in 0..<p.count { v[j] = Double(p[j] / d * d) }
                count = p.count
            })
        }
        let f = try matrix.polar(method: "iso_c", key: name)
        let flat = f.s.reduce(0, +) / Double(f.s.count)
        return [Float](unsafeUninitializedCapacity: f.q.values.count) { out, count in
            f.q.values.withUnsafeBufferPointer { q in for j in 0..<q.count { out[j] = Float(q[j] * flat) } }
            count = f.q.values.count
        }
    }
}
