#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The thin singular value decomposition A = U·diag(S)·Vᵀ of a row-major m×n `Float` matrix, by
/// LAPACK's divide-and-conquer `gesdd` (OpenBLAS on Linux, Accelerate on macOS), the routine
/// `torch.linalg.svd(full_matrices=False)` calls on CPU.
///
/// The decomposition runs in `Double` (`dgesdd`) and the factors are rounded to `Float`: singular
/// vectors next to a nearly repeated singular value are as sensitive as ε·σ₁/gap, so a `Float`
/// decomposition can miss a float32 reference by more than that reference's own error (seen:
/// 4e-5 relative where the gap was 0.2 %); in `Double` the result is the exact one rounded.
///
/// With r = min(m, n): `u` is m×r, `s` holds r values in descending order, `vt` is r×n, all
/// row-major.
///
/// ```swift
/// let svd = try ThinSVD(matrix, rows: 768, columns: 3072)
/// let top = svd.s[0]
/// ```
public struct ThinSVD: Sendable {
    public let rows: Int
    public let columns: Int
    /// min(rows, columns).
    public var rank: Int { min(rows, columns) }
    /// Left singular vectors, rows×rank, row-major.
    public var u: [Float]
    /// Singular values, descending.
    public var s: [Float]
    /// Right singular vectors transposed, rank×columns, row-major.
    public var vt: [Float]

    /// Why a decomposition failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The buffer does not hold rows × columns values.
        case wrongCount(rows: Int, columns: Int, count: Int)
        /// A value is NaN or infinite (LAPACK's result would be meaningless).
        case nonFinite(rows: Int, columns: Int)
        /// LAPACK reported an argument error (negative) or no convergence (positive).
        case lapack(routine: String, info: Int)
        /// The matrix is too large for LAPACK's 32-bit sizes.
        case tooLarge(rows: Int, columns: Int)

        public var description: String {
            switch self {
            case let .wrongCount(m, n, c): return "SVD of a \(m)×\(n) matrix given \(c) values"
            case let .nonFinite(m, n): return "SVD of a \(m)×\(n) matrix that holds NaN or infinite values"
            case let .lapack(routine, info):
                return info < 0 ? "\(routine): argument \(-info) was invalid" : "\(routine) did not converge (info \(info))"
            case let .tooLarge(m, n): return "SVD of a \(m)×\(n) matrix exceeds LAPACK's 32-bit sizes"
            }
        }
    }

    /// Decomposes the row-major rows×columns matrix `a`.
    /// - Throws: ``Failure`` for a wrong count, non-finite values or a LAPACK error.
    public init(_ a: UnsafeBufferPointer<Float>, rows m: Int, columns n: Int) throws(Failure) {
        guard a.count == m * n, m >= 0, n >= 0 else { throw .wrongCount(rows: m, columns: n, count: a.count) }
        guard m < Int(Int32.max) / max(1, n) else { throw .tooLarge(rows: m, columns: n) }
        rows = m
        columns = n
        let r = min(m, n)
        u = [Float](repeating: 0, count: m * r)
        s = [Float](repeating: 0, count: r)
        vt = [Float](repeating: 0, count: r * n)
        if r == 0 { return }
        for v in a where !v.isFinite { throw .nonFinite(rows: m, columns: n) }
        // LAPACK is column-major: the row-major m×n buffer is Aᵀ (n×m) to it. Aᵀ = V·S·Uᵀ, so
        // LAPACK's "U" (n×r, column-major) is our Vᵀ (r×n, row-major) and its "Vᵀ" (r×m,
        // column-major) is our U (m×r, row-major).
        var copy = a.map(Double.init)
        var su = [Double](repeating: 0, count: m * r), ss = [Double](repeating: 0, count: r), svt = [Double](repeating: 0, count: r * n)
        var iwork = [Int32](repeating: 0, count: 8 * r)
        var query: Double = 0
        var info = Self.gesdd(&copy, m: Int32(n), n: Int32(m), s: &ss, u: &svt, ldu: Int32(n), vt: &su, ldvt: Int32(r),
                              work: &query, lwork: -1, iwork: &iwork)
        if info != 0 { throw .lapack(routine: "dgesdd", info: Int(info)) }
        var scratch = [Double](repeating: 0, count: max(1, Int(query.rounded(.up))))
        info = Self.gesdd(&copy, m: Int32(n), n: Int32(m), s: &ss, u: &svt, ldu: Int32(n), vt: &su, ldvt: Int32(r),
                          work: &scratch, lwork: Int32(scratch.count), iwork: &iwork)
        if info != 0 { throw .lapack(routine: "dgesdd", info: Int(info)) }
        u = su.map(Float.init)
        s = ss.map(Float.init)
        vt = svt.map(Float.init)
    }

    /// Decomposes `a` (rows × columns values).
    public init(_ a: [Float], rows: Int, columns: Int) throws(Failure) {
        var result: Result<ThinSVD, Failure> = .failure(.wrongCount(rows: rows, columns: columns, count: a.count))
        a.withUnsafeBufferPointer { p in result = Result { () throws(Failure) in try ThinSVD(p, rows: rows, columns: columns) } }
        self = try result.get()
    }

    /// `dgesdd` with jobz "S" (thin factors) on column-major m×n `a`; returns LAPACK's info.
    private static func gesdd(_ a: UnsafeMutablePointer<Double>, m: Int32, n: Int32, s: UnsafeMutablePointer<Double>,
                              u: UnsafeMutablePointer<Double>, ldu: Int32, vt: UnsafeMutablePointer<Double>, ldvt: Int32,
                              work: UnsafeMutablePointer<Double>, lwork: Int32, iwork: UnsafeMutablePointer<Int32>) -> Int32 {
        var jobz: CChar = 0x53
        var m = m, n = n, lda = m, ldu = ldu, ldvt = ldvt, lwork = lwork, info: Int32 = 0
        #if canImport(Accelerate)
        dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info)
        #else
        dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1)
        #endif
        return info
    }

    /// U·diag(S)·Vᵀ, row-major rows×columns (for checks).
    public func reconstructed() -> [Float] {
        var out = [Float](repeating: 0, count: rows * columns)
        let r = rank
        var us = u
        for i in 0..<rows { for j in 0..<r { us[i * r + j] *= s[j] } }
        if r == 0 { return out }
        us.withUnsafeBufferPointer { a in
            vt.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(m: rows, n: columns, k: r, a: a.baseAddress!, lda: r, b: b.baseAddress!, ldb: columns,
                               c: c.baseAddress!, ldc: columns)
                }
            }
        }
        return out
    }
}
