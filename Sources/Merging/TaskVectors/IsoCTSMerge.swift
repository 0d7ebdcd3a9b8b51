import Foundation

/// Iso-CTS (Marczak et al., ICML 2025), as `iso_cts` in danielm1405/iso-merging.
///
/// Per matrix with r = min(m, n): the common space is the top c singular directions of
/// M = Σ_t τ_t, c = r − round((r − int(r · f)) / T) · T (f = `common_space_fraction`, Python's
/// round, half to even), so the rest divides evenly into T task-specific blocks of
/// s = int((r − c) / T); each task's block is the top s of the SVD of τ_t − U_c U_cᵀ τ_t; the
/// task blocks come first, then the common block; U and Vᵀ are orthogonalized by Procrustes and
/// the spectrum flattened to the mean of all r values. Other tensors: the running mean.
struct IsoCTSMerge: TaskVectorTensorMerge {
    /// The share of the rank given to the common space (the authors' default 0.8).
    var commonSpaceFraction: Double

    /// The common space's size c for rank `r` and `T` tasks (negative when f is too small for r and T).
    static func commonSpace(rank r: Int, tasks T: Int, fraction: Double) -> Int {
        let first = Int(Double(r) * fraction)
        let taskSpecific = Int((Double(r - first) / Double(T)).rounded(.toNearestOrEven)) * T
        return r - taskSpecific
    }

    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else { return TaskVectorMatrices.runningMean(taus, taskCount: T) }
        let m = shape[0], n = shape[1], r = min(m, n)
        let c = Self.commonSpace(rank: r, tasks: T, fraction: commonSpaceFraction)
        guard c >= 0 else {
            throw MergeError.invalidOption("iso_cts: --common-space-fraction \(commonSpaceFraction) leaves no room for \(T) equal task spaces in '\(name)' (rank \(r)); use a larger fraction")
        }
        let perTask = Int(Double(r - c) / Double(T))
        let whole = try _Matrix(rows: m, columns: n, values: TaskVectorMatrices.sum(taus, taskCount: T)).svd(method: "iso_cts", key: name)
        var commonU = _Matrix(zeros: m, c)
        for i in 0..<m { for j in 0..<c { commonU.values[i * c + j] = whole.u[i * r + j] } }
        var combinedU = _Matrix(zeros: m, r), combinedV = _Matrix(zeros: r, n)
        var combinedS = [Float](repeating: 0, count: r)
        for t in 0..<T where perTask > 0 {
            let w = _Matrix(rows: m, columns: n, values: Array(taus[(t * m * n)..<((t + 1) * m * n)]))
            // w − U_c U_cᵀ w: the part of τ_t outside the common space.
            let projected = commonU.times(commonU.times(w, transposeSelf: true))
            var rest = w
            for j in rest.values.indices { rest.values[j] -= projected.values[j] }
            let f = try rest.svd(method: "iso_cts", key: name)
            for i in 0..<m { for j in 0..<perTask { combinedU.values[i * r + t * perTask + j] = f.u[i * r + j] } }
            for j in 0..<perTask { combinedS[t * perTask + j] = f.s[j] }
            for j in 0..<perTask { for col in 0..<n { combinedV.values[(t * perTask + j) * n + col] = f.vt[j * n + col] } }
        }
        let at = T * perTask
        for i in 0..<m { for j in 0..<c { combinedU.values[i * r + at + j] = whole.u[i * r + j] } }
        for j in 0..<c { combinedS[at + j] = whole.s[j] }
        for j in 0..<c { for col in 0..<n { combinedV.values[(at + j) * n + col] = whole.vt[j * n + col] } }
        let u = try combinedU.orthogonalized(method: "iso_cts", key: name)
        let v = try combinedV.orthogonalized(method: "iso_cts", key: name)
        let flat = [Float](repeating: TaskVectorMatrices.mean(combinedS), count: r)
        return u.scalingColumns(flat).times(v).values
    }
}
