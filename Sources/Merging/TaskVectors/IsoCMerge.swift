/// Iso-C (Marczak et al., ICML 2025), as `iso_c` in danielm1405/iso-merging: per matrix, the
/// summed task matrix M = Σ_t τ_t (computed as the code does, `sum(tvs) / T * T`) with its
/// spectrum flattened to the mean singular value, τ_MTL = U · diag(mean(S)) · Vᵀ; other tensors
/// get `sum(tvs) / T`.
struct IsoCMerge: TaskVectorTensorMerge {
    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        var mean = TaskVectorMatrices.sum(taus, taskCount: T)
        let d = Float(T)
        for j in mean.indices { mean[j] /= d }
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else { return mean }
        for j in mean.indices { mean[j] *= d }
        let f = try _Matrix(rows: shape[0], columns: shape[1], values: mean).svd(method: "iso_c", key: name)
        let flat = [Float](repeating: TaskVectorMatrices.mean(f.s), count: f.rank)
        return f.uMatrix.scalingColumns(flat).times(f.vtMatrix).values
    }
}
