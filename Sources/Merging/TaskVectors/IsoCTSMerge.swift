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
        let summed = TaskVectorMatrices.sum(taus, taskCount: T)
        let whole = try summed.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.topSingular(c, method: "iso_cts", key: name)
        var combinedU = _Matrix(zeros: m, r), combinedV = _Matrix(zeros: r, n)
        var combinedS = [Double](repeating: 0, count: r)
        for t in 0..<T where perTask > 0 {
            let w = _Matrix(rows: m, columns: n, floats: UnsafeBufferPointer(rebasing: taus[(t * m * n)..<((t + 1) * m * n)]))
            // w − U_c U_cᵀ w: the part of τ_t outside the common space.
            let projected = whole.u.times(whole.u.times(w, transposeSelf: true))
            var rest = w
            for j in rest.values.indices { rest.values[j] -= projected.values[j] }
            let f = try rest.topSingular(perTask, method: "iso_cts", key: name)
            combinedU.place(columns: f.u, at: t * perTask)
            combinedV.place(rows: f.vt, at: t * perTask)
            for j in 0..<perTask { combinedS[t * perTask + j] = f.s[j] }
        }
        let at = T * perTask
        combinedU.place(columns: whole.u, at: at)
        combinedV.place(rows: whole.vt, at: at)
        for j in 0..<c { combinedS[at + j] = whole.s[j] }
        let u = try combinedU.polar(method: "iso_cts", key: name).q
        let v = try combinedV.polar(method: "iso_cts", key: name).q
        let flat = combinedS.reduce(0, +) / Double(r)
        return u.times(v).values.map { Float($0 * flat) }
    }
}
