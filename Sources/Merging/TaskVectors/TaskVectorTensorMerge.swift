/// A merge computed tensor by tensor from every task's whole task vector τ_t = θ_t − θ0: the
/// SVD methods (TSV-M, Iso-C, Iso-CTS), DARE and Breadcrumbs. The engine gathers each tensor's
/// τ_1…τ_T (memory: one tensor × T) and writes θ0 + λ·τ_MTL (or LiNeS) from the result.
protocol TaskVectorTensorMerge: Sendable {
    /// τ_MTL of one tensor. `taus` holds τ_t at `t · count` for t in 0..<taskCount.
    /// - Parameters:
    ///   - name: the tensor's name (some methods treat `text_projection` apart).
    ///   - seed: this tensor's random seed (the run's seed and the name), for random methods.
    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float]
}

/// A per-tensor merge that reads only Σ_t τ_t (Iso-C): the engine gathers that sum, in Python's
/// order (``TaskVectorMatrices/sum(_:taskCount:)``), instead of every τ_t — one tensor in memory
/// instead of T, and no second pass over them.
protocol SummedTaskVectorTensorMerge: TaskVectorTensorMerge {
    /// τ_MTL of one tensor from `summed` = `sum(tvs)` = 0 + τ_0 + τ_1 + … in `Float`.
    func merge(summed: [Float], taskCount: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float]
}

extension SummedTaskVectorTensorMerge {
    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        try merge(summed: TaskVectorMatrices.sum(taus, taskCount: taskCount), taskCount: taskCount, name: name, shape: shape, seed: seed)
    }
}

/// What the authors' SVD methods treat as a matrix, and how they combine everything else.
enum TaskVectorMatrices {
    /// A 2-D tensor whose name does not contain `text_projection` (`len(shape) == 2 and
    /// "text_projection" not in key`, in TSV's and Iso's code alike).
    static func isMatrix(name: String, shape: [Int]) -> Bool {
        shape.count == 2 && !name.contains("text_projection")
    }

    /// The running mean `m = τ_0; m += (τ_i − m) / (i + 1)` of TSV's and Iso-CTS's code, in `Float`.
    static func runningMean(_ taus: UnsafeBufferPointer<Float>, taskCount: Int) -> [Float] {
        let n = taus.count / max(1, taskCount)
        var m = Array(taus[0..<n])
        for i in 1..<max(1, taskCount) {
            let d = Float(i + 1)
            let base = i * n
            m.withUnsafeMutableBufferPointer { p in for j in 0..<n { p[j] += (taus[base + j] - p[j]) / d } }
        }
        return m
    }

    /// `sum(tvs)` in Python's order (0 + τ_0 + τ_1 + …), in `Float`.
    static func sum(_ taus: UnsafeBufferPointer<Float>, taskCount: Int) -> [Float] {
        let n = taus.count / max(1, taskCount)
        var s = [Float](repeating: 0, count: n)
        s.withUnsafeMutableBufferPointer { p in
            for t in 0..<taskCount { let base = t * n; for j in 0..<n { p[j] += taus[base + j] } }
        }
        return s
    }
}
