#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// The eigendecomposition A = Σ_j λ_j e_j e_jᵀ of a symmetric n×n `Double` matrix, by LAPACK's
/// divide-and-conquer `dsyevd` (OpenBLAS on Linux, Accelerate on macOS).
///
/// Eigenvalues are in descending order; `vectors` holds e_j as row j (row-major n×n).
public struct SymmetricEigen: Sendable {
    public let n: Int
    /// λ_0 ≥ λ_1 ≥ … ≥ λ_{n−1}.
    public var values: [Double]
    /// Eigenvector j in `vectors[j·n ..< (j+1)·n]`, unit length.
    public var vectors: [Double]

    /// Why a decomposition failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case wrongCount(n: Int, count: Int)
        case nonFinite(n: Int)
        case lapack(info: Int)
        case tooLarge(n: Int)

        public var description: String {
            switch self {
            case let .wrongCount(n, c): return "eigendecomposition of a \(n)×\(n) matrix given \(c) values"
            case let .nonFinite(n): return "eigendecomposition of a \(n)×\(n) matrix that holds NaN or infinite values"
            case let .lapack(info): return info < 0 ? "dsyevd: argument \(-info) was invalid" : "dsyevd did not converge (info \(info))"
            case let .tooLarge(n): return "eigendecomposition of a \(n)×\(n) matrix exceeds LAPACK's 32-bit sizes"
            }
        }
    }

    /// Decomposes the symmetric matrix `a` (n × n values, row-major; only one triangle is read).
    public init(_ a: [Double], n: Int) throws(Failure) {
        guard n >= 0, a.count == n * n else { throw .wrongCount(n: n, count: a.count) }
        guard n < 46_000 else { throw .tooLarge(n: n) }
        self.n = n
        if n == 0 { values = []; vectors = []; return }
        for v in a where !v.isFinite { throw .nonFinite(n: n) }
        var z = a
        var w = [Double](repeating: 0, count: n)
        var jobz: CChar = 0x56, uplo: CChar = 0x55 // "V", "U"
        var nn = Int32(n), lda = Int32(n), lwork: Int32 = -1, liwork: Int32 = -1, info: Int32 = 0
        var query = 0.0
        var iquery: Int32 = 0
        #if canImport(Accelerate)
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &query, &lwork, &iquery, &liwork, &info)
        #else
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &query, &lwork, &iquery, &liwork, &info, 1, 1)
        #endif
        if info != 0 { throw .lapack(info: Int(info)) }
        var work = [Double](repeating: 0, count: max(1, Int(query.rounded(.up))))
        var iwork = [Int32](repeating: 0, count: max(1, Int(iquery)))
        lwork = Int32(work.count)
        liwork = Int32(iwork.count)
        #if canImport(Accelerate)
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        #else
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &work, &lwork, &iwork, &liwork, &info, 1, 1)
        #endif
        if info != 0 { throw .lapack(info: Int(info)) }
        // LAPACK's column j (ascending λ) is row j of the row-major buffer; reverse to descending.
        values = w.reversed()
        var v = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            let src = (n - 1 - j) * n
            for i in 0..<n { v[j * n + i] = z[src + i] }
        }
        vectors = v
    }
}
