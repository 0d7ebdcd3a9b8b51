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

    /// The top k singular triplets of w − U_c U_cᵀ w (the part of τ_t outside the common space)
    /// without forming it: with P = U_cᵀ w, its Gram matrix is wᵀw − PᵀP (tall) or
    /// (I − U_cU_cᵀ) wwᵀ (I − U_cU_cᵀ) (wide), and the other side's vectors follow from w, U_c and P.
    /// Saves the c×m×n product of U_c·P per task (c is 80 % of the rank).
    static func outsideCommon(_ w: _Matrix, common uc: _Matrix, k: Int, key: String) throws(MergeError) -> (u: _Matrix, s: [Double], vt: _Matrix) {
        let m = w.rows, n = w.columns
        if m >= n {
            let p = uc.times(w, transposeSelf: true)
            var gram = w.gramUpper
            let gp = p.rows > 0 ? p.gramUpperTransposed : _Matrix(zeros: n, n)
            for i in 0..<n { for j in i..<n { gram.values[i * n + j] -= gp.values[i * n + j] } }
            let eigen = try gram.symmetricEigen(largest: k, method: "iso_cts", key: key)
            let s = (0..<k).map { max(eigen.values[$0], 0).squareRoot() }
            let vt = _Matrix(rows: k, columns: n, values: Array(eigen.vectors[0..<(k * n)]))
            var u = w.times(vt, transposeOther: true)
            let correction = uc.times(p.times(vt, transposeOther: true))
            for j in u.values.indices { u.values[j] -= correction.values[j] }
            return (u.scalingColumns(s.map { $0 > 0 ? 1 / $0 : 0 }), s, vt)
        }
        // Wide: the projector onto the complement of the common space, applied on both sides.
        var projector = uc.times(uc, transposeOther: true)
        for j in projector.values.indices { projector.values[j] = -projector.values[j] }
        for i in 0..<m { projector.values[i * m + i] += 1 }
        let full = w.times(w, transposeOther: true)
        let gram = projector.times(full).times(projector)
        let eigen = try gram.symmetricEigen(largest: k, method: "iso_cts", key: key)
        let s = (0..<k).map { max(eigen.values[$0], 0).squareRoot() }
        let u = projector.times(_Matrix(rows: k, columns: m, values: Array(eigen.vectors[0..<(k * m)])), transposeOther: true)
        var vt = u.times(w, transposeSelf: true)
        for j in 0..<k { for c in 0..<n { vt.values[j * n + c] *= s[j] > 0 ? 1 / s[j] : 0 } }
        return (u, s, vt)
    }

    func merge(_ taus: UnsafeBufferPointer<Float>, taskCount T: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
        guard TaskVectorMatrices.isMatrix(name: name, shape: shape) else { return TaskVectorMatrices.runningMean(taus, taskCount: T) }
        let m = shape[0], n = shape[1], r = min(m, n)
        let c = Self.commonSpace(rank: r, tasks: T, fraction: commonSpaceFraction)
        guard c >= 0 else {
            throw MergeError.invalidOption("iso_cts: --common-space-fraction \(commonSpaceFraction) leaves no room for \(T) equal task spaces in '\(name)' (rank \(r)); use a larger fraction")
        }
        let perTask = Int(Double(r - c) / Double(T))
        let summed = TaskVectorMatrices.sum(taus, taskCount: T)
        let whole = try summed.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.topSingular(c, method: "iso_cts", key: name)
        var combinedU = _Matrix(zeros: m, r), combinedV = _Matrix(zeros: r, n)
        var combinedS = [Double](repeating: 0, count: r)
        for t in 0..<T where perTask > 0 {
            let w = _Matrix(rows: m, columns: n, floats: UnsafeBufferPointer(rebasing: taus[(t * m * n)..<((t + 1) * m * n)]))
            let f = try Self.outsideCommon(w, common: whole.u, k: perTask, key: name)
            combinedU.place(columns: f.u, at: t * perTask)
            combinedV.place(rows: f.vt, at: t * perTask)
            for j in 0..<perTask { combinedS[t * perTask + j] = f.s[j] }
        }
        let at = T * perTask
        combinedU.place(columns: whole.u, at: at)
        combinedV.place(rows: whole.vt, at: at)
        for j in 0..<c { combinedS[at + j] = whole.s[j] }
        let flat = combinedS.reduce(0, +) / Double(r)
        let ones = [Double](repeating: 1, count: r)
        return try _Matrix.procrustesProduct(u: combinedU, scale: ones, v: combinedV, method: "iso_cts", key: name).values.map { Float($0 * flat) }
    }
}
