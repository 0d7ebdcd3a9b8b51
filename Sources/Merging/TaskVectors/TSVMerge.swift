/// TSV-M (Gargiulo et al., CVPR 2025), as `compute_and_sum_svd_mem_reduction` in
/// AntoAndGar/task_singular_vectors (`src/utils/TSVM_utils.py`).
///
/// Per matrix (``TaskVectorMatrices/isMatrix(name:shape:)``): the thin SVD τ_t = U_t S_t V_tᵀ of
/// each task (its products by τ_t in float32, the eigensolver in `Double`:
/// ``_Matrix/topSingular(float:rows:columns:k:method:key:)``), its first k = int(r · (1/T))
/// components placed in task t's block of slots (columns t·k… of U, entries of S, rows of Vᵀ;
/// the slots past T·k stay zero), both bases
/// orthogonalized by Procrustes, and τ_MTL = U⊥ · diag(S) · Vᵀ⊥. Other tensors: the running
/// mean over tasks.
struct TSVMerge: TaskVectorTensorMerge {
    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else { return TaskVectorMatrices.runningMean(taus, taskCount: T) }
        let m = shape[0], n = shape[1], r = min(m, n)
        let k = Int(Double(r) * (1 / Double(T)))
        var sumU = _Matrix(zeros: m, r), sumV = _Matrix(zeros: r, n)
        var sumS = [Double](repeating: 0, count: r)
        if k > 0 {
            for t in 0..<T {
                let tau = UnsafeBufferPointer(rebasing: taus[(t * m * n)..<((t + 1) * m * n)])
                let f = try _Matrix.topSingular(float: tau, rows: m, columns: n, k: k, method: "tsv", key: name)
                sumU.place(columns: f.u, at: t * k)
                sumV.place(rows: f.vt, at: t * k)
                for j in 0..<k { sumS[t * k + j] = f.s[j] }
            }
        }
        return try _Matrix.procrustesProduct(u: sumU, scale: sumS, v: sumV, method: "tsv", key: name).floats
    }
}
