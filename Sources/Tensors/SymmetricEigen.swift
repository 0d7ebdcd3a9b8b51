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

    /// `count` values left uninitialized: LAPACK's workspaces, and buffers filled entirely
    /// before they are read (the copies of the eigenvectors), without the memset of a zeroed array.
    private static func workspace<T: BitwiseCopyable>(_ count: Int) -> [T] {
        [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Decomposes the symmetric matrix `a` (n × n values, row-major; only its upper triangle is
    /// read, as ``BLAS/dsyrk(n:k:a:lda:c:)`` writes it).
    public init(_ a: [Double], n: Int) throws(Failure) {
        guard n >= 0, a.count == n * n else { throw .wrongCount(n: n, count: a.count) }
        guard n < 46_000 else { throw .tooLarge(n: n) }
        self.n = n
        if n == 0 { values = []; vectors = []; return }
        for v in a where !v.isFinite { throw .nonFinite(n: n) }
        var z = a
        var w = [Double](repeating: 0, count: n)
        // The row-major upper triangle is LAPACK's (column-major) lower one.
        var jobz: CChar = 0x56, uplo: CChar = 0x4C // "V", "L"
        var nn = Int32(n), lda = Int32(n), lwork: Int32 = -1, liwork: Int32 = -1, info: Int32 = 0
        var query = 0.0
        var iquery: Int32 = 0
        #if canImport(Accelerate)
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &query, &lwork, &iquery, &liwork, &info)
        #else
        dsyevd_(&jobz, &uplo, &nn, &z, &lda, &w, &query, &lwork, &iquery, &liwork, &info, 1, 1)
        #endif
        if info != 0 { throw .lapack(info: Int(info)) }
        var work: [Double] = Self.workspace(max(1, Int(query.rounded(.up))))
        var iwork: [Int32] = Self.workspace(max(1, Int(iquery)))
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
        var v: [Double] = Self.workspace(n * n)
        for j in 0..<n {
            let src = (n - 1 - j) * n
            for i in 0..<n { v[j * n + i] = z[src + i] }
        }
        vectors = v
    }

    /// The `largest` greatest eigenpairs only, much cheaper than all of them when `largest` ≪ n:
    /// the tridiagonal reduction (`dsytrd`), every eigenvalue of the tridiagonal matrix (`dsterf`,
    /// O(n²)), inverse iteration for the wanted vectors only (`dstein`; MRRR on the index range,
    /// `dstemr`, when it fails) and the back-transformation of those vectors (`dormtr`). `values`
    /// has `largest` entries, descending, and `vectors` `largest` rows.
    public init(_ a: [Double], n: Int, largest k: Int) throws(Failure) {
        guard n >= 0, a.count == n * n, k >= 0, k <= n else { throw .wrongCount(n: n, count: a.count) }
        guard n < 46_000 else { throw .tooLarge(n: n) }
        self.n = n
        if n == 0 || k == 0 { values = []; vectors = []; return }
        for v in a where !v.isFinite { throw .nonFinite(n: n) }
        var reduced = a
        var uplo: CChar = 0x4C // "L": the row-major upper triangle
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n), tau = [Double](repeating: 0, count: max(1, n - 1))
        var lwork: Int32 = -1
        var query = 0.0
        #if canImport(Accelerate)
        dsytrd_(&uplo, &nn, &reduced, &lda, &d, &e, &tau, &query, &lwork, &info)
        #else
        dsytrd_(&uplo, &nn, &reduced, &lda, &d, &e, &tau, &query, &lwork, &info, 1)
        #endif
        var work: [Double] = Self.workspace(max(1, Int(query.rounded(.up))))
        lwork = Int32(work.count)
        #if canImport(Accelerate)
        dsytrd_(&uplo, &nn, &reduced, &lda, &d, &e, &tau, &work, &lwork, &info)
        #else
        dsytrd_(&uplo, &nn, &reduced, &lda, &d, &e, &tau, &work, &lwork, &info, 1)
        #endif
        if info != 0 { throw .lapack(info: Int(info)) }
        // All eigenvalues of T by the root-free QR (`dsterf`, O(n²)) and the top k's vectors by
        // inverse iteration (`dstein`, reorthogonalized within clusters): half the time of MRRR's
        // bisection for an index range. MRRR (`dstemr`) when inverse iteration does not converge.
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var ldz = Int32(n)
        if !Self.inverseIteration(n: n, k: k, d: d, e: e, values: &w, vectors: &z) {
            // MRRR on T for eigenvalues n−k+1 … n (1-based, ascending).
            var jobz: CChar = 0x56, range: CChar = 0x49 // "V", "I"
            var vl = 0.0, vu = 0.0, il = Int32(n - k + 1), iu = Int32(n), found: Int32 = 0, nzc = Int32(k)
            var tryrac: Int32 = 1
            var isuppz = [Int32](repeating: 0, count: 2 * k)
            var liwork: Int32 = -1
            var iquery: Int32 = 0
            func stemr(_ work: UnsafeMutablePointer<Double>, _ iwork: UnsafeMutablePointer<Int32>) {
                #if canImport(Accelerate)
                dstemr_(&jobz, &range, &nn, &d, &e, &vl, &vu, &il, &iu, &found, &w, &z, &ldz, &nzc, &isuppz, &tryrac,
                        work, &lwork, iwork, &liwork, &info)
                #else
                dstemr_(&jobz, &range, &nn, &d, &e, &vl, &vu, &il, &iu, &found, &w, &z, &ldz, &nzc, &isuppz, &tryrac,
                        work, &lwork, iwork, &liwork, &info, 1, 1)
                #endif
            }
            lwork = -1
            stemr(&query, &iquery)
            if info != 0 { throw .lapack(info: Int(info)) }
            work = Self.workspace(max(1, Int(query.rounded(.up))))
            var iwork: [Int32] = Self.workspace(max(1, Int(iquery)))
            lwork = Int32(work.count)
            liwork = Int32(iwork.count)
            work.withUnsafeMutableBufferPointer { wp in iwork.withUnsafeMutableBufferPointer { ip in stemr(wp.baseAddress!, ip.baseAddress!) } }
            if info != 0 || Int(found) != k { throw .lapack(info: Int(info)) }
        }
        // Z ← Q·Z: the eigenvectors of A.
        var side: CChar = 0x4C, trans: CChar = 0x4E // "L", "N"
        var kk = Int32(k)
        lwork = -1
        #if canImport(Accelerate)
        dormtr_(&side, &uplo, &trans, &nn, &kk, &reduced, &lda, &tau, &z, &ldz, &query, &lwork, &info)
        #else
        dormtr_(&side, &uplo, &trans, &nn, &kk, &reduced, &lda, &tau, &z, &ldz, &query, &lwork, &info, 1, 1, 1)
        #endif
        work = Self.workspace(max(1, Int(query.rounded(.up))))
        lwork = Int32(work.count)
        #if canImport(Accelerate)
        dormtr_(&side, &uplo, &trans, &nn, &kk, &reduced, &lda, &tau, &z, &ldz, &work, &lwork, &info)
        #else
        dormtr_(&side, &uplo, &trans, &nn, &kk, &reduced, &lda, &tau, &z, &ldz, &work, &lwork, &info, 1, 1, 1)
        #endif
        if info != 0 { throw .lapack(info: Int(info)) }
        // Ascending from λ_{n−k}: reverse to descending; column j of z is row j here.
        values = w[0..<k].reversed()
        var v: [Double] = Self.workspace(k * n)
        for j in 0..<k {
            let src = (k - 1 - j) * n
            for i in 0..<n { v[j * n + i] = z[src + i] }
        }
        vectors = v
    }

    /// The k greatest eigenvalues of the symmetric tridiagonal matrix (diagonal `d`, off-diagonal
    /// `e`) ascending in `values[0..<k]`, and their eigenvectors as the columns of `vectors`
    /// (column-major n×k); false when `dsterf` or `dstein` fails or gives a non-finite vector, so
    /// that the caller uses MRRR.
    private static func inverseIteration(n: Int, k: Int, d: [Double], e: [Double], values: inout [Double], vectors: inout [Double]) -> Bool {
        var all = d, off = e
        var nn = Int32(n), info: Int32 = 0
        dsterf_(&nn, &all, &off, &info)
        guard info == 0 else { return false }
        for j in 0..<k { values[j] = all[n - k + j] }
        // One block: `dstein` runs on the whole matrix (a split off-diagonal entry only makes the
        // vectors' other blocks zero).
        var m = Int32(k), ldz = Int32(n)
        var iblock = [Int32](repeating: 1, count: k), isplit = [Int32](repeating: 0, count: n)
        isplit[0] = Int32(n)
        var work = [Double](repeating: 0, count: 5 * n), iwork = [Int32](repeating: 0, count: n), ifail = [Int32](repeating: 0, count: k)
        var dd = d, ee = e
        dstein_(&nn, &dd, &ee, &m, &values, &iblock, &isplit, &vectors, &ldz, &work, &iwork, &ifail, &info)
        // A zero matrix gives NaN vectors with info 0.
        return info == 0 && vectors.allSatisfy { $0.isFinite }
    }
}
