import Testing
import Tensors
@testable import Merging

/// The Gram-matrix route of the SVD merges (top singular triplets, polar factor) against LAPACK's
/// thin SVD on the same matrices.
@Suite("SVD merges' matrix algebra")
struct MatrixAlgebraTests {
    static func random(_ m: Int, _ n: Int, seed: UInt64) -> [Float] {
        var g = SeededRandom(seed: seed, 1)
        return (0..<(m * n)).map { _ in Float(Double(g.next() >> 11) * 0x1p-53 * 2 - 1) }
    }

    @Test("top-k triplets: the same singular values and the same rank-k product as the thin SVD", arguments: [(30, 12), (12, 30), (16, 16)])
    func topSingular(shape: (Int, Int)) throws {
        let (m, n) = shape
        let a = Self.random(m, n, seed: UInt64(m * n))
        let svd = try ThinSVD(a, rows: m, columns: n)
        let k = 5
        let top = try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.topSingular(k, method: "test", key: "a")
        for j in 0..<k { #expect(abs(top.s[j] - Double(svd.s[j])) < 1e-5 * Double(svd.s[0])) }
        let ours = top.u.scalingColumns(top.s).times(top.vt)
        let r = min(m, n)
        for i in 0..<m {
            for c in 0..<n {
                var want = 0.0
                for j in 0..<k { want += Double(svd.u[i * r + j]) * Double(svd.s[j]) * Double(svd.vt[j * n + c]) }
                #expect(abs(ours.values[i * n + c] - want) < 1e-5)
            }
        }
    }

    @Test("polar factor: U·Vᵀ of the thin SVD, orthonormal, with every singular value", arguments: [(20, 7), (7, 20)])
    func polar(shape: (Int, Int)) throws {
        let (m, n) = shape
        let a = Self.random(m, n, seed: UInt64(m + 100 * n))
        let svd = try ThinSVD(a, rows: m, columns: n)
        let p = try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.polar(method: "test", key: "a")
        let r = min(m, n)
        for j in 0..<r { #expect(abs(p.s[j] - Double(svd.s[j])) < 1e-5) }
        for i in 0..<m {
            for c in 0..<n {
                var want = 0.0
                for j in 0..<r { want += Double(svd.u[i * r + j]) * Double(svd.vt[j * n + c]) }
                #expect(abs(p.q.values[i * n + c] - want) < 1e-5)
            }
        }
    }

    @Test("polar factor of a matrix with zero columns: the others' polar factor, zeros where the columns were")
    func polarWithZeroSlots() throws {
        let m = 9, n = 4
        var a = Self.random(m, n, seed: 77)
        for i in 0..<m { a[i * n + 3] = 0 }
        let full = try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.polar(method: "test", key: "a").q
        var left = [Float](repeating: 0, count: m * 3)
        for i in 0..<m { for j in 0..<3 { left[i * 3 + j] = a[i * n + j] } }
        let part = try left.withUnsafeBufferPointer { _Matrix(rows: m, columns: 3, floats: $0) }.polar(method: "test", key: "a").q
        for i in 0..<m {
            for j in 0..<3 { #expect(abs(full.values[i * n + j] - part.values[i * 3 + j]) < 1e-12) }
            #expect(abs(full.values[i * n + 3]) < 1e-12)
        }
    }
}

extension _Matrix {
    /// The nearest matrix with orthonormal columns (rows, for a wide matrix) in the Frobenius norm,
    /// P·Qᵀ of the SVD P·Σ·Qᵀ — `u @ vh` of `torch.linalg.svd(x, full_matrices=False)` — all in
    /// `Double`, as A·(AᵀA)^(−1/2) (or (AAᵀ)^(−1/2)·A) from ``inverseSquareRootOfGram(ofRows:method:key:)``:
    /// the reference for the merges' Procrustes and Iso-C products.
    func polar(method: String, key: String) throws(MergeError) -> (q: _Matrix, s: [Double]) {
        let tall = rows >= columns
        let (w, s) = try inverseSquareRootOfGram(ofRows: !tall, method: method, key: key)
        return (tall ? times(w) : w.times(self), s)
    }
}
