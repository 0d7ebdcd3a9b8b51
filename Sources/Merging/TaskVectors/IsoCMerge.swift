/// Iso-C (Marczak et al., ICML 2025), as `iso_c` in danielm1405/iso-merging: per matrix, the
/// summed task matrix M = Σ_t τ_t (computed as the code does, `sum(tvs) / T * T`) with its
/// spectrum flattened to the mean singular value, τ_MTL = U · diag(mean(S)) · Vᵀ; other tensors
/// get `sum(tvs) / T`.
struct IsoCMerge: TaskVectorTensorMerge {
    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        var mean = TaskVectorMatrices.sum(taus, taskCount: T)
        let d = Float(T)
        mean.withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] /= d } }
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else { return mean }
        mean.withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] *= d } }
        let summed = mean.withUnsafeBufferPointer { _Matrix(rows: shape[0], columns: shape[1], floats: $0) }
        let f = try summed.polar(method: "iso_c", key: name)
        let flat = f.s.reduce(0, +) / Double(f.s.count)
        return f.q.values.map { Float($0 * flat) }
    }
}
