import Testing
import Tensors
import TestSupport

@Suite("thin SVD on LAPACK")
struct SVDTests {
    static func random(_ m: Int, _ n: Int, seed: UInt64) -> [Float] {
        var g = SeededRandom(seed: seed, 0)
        return (0..<(m * n)).map { _ in Float(Double(g.next() >> 11) * 0x1p-53 * 2 - 1) }
    }

    @Test("U·S·Vᵀ reconstructs the matrix; U and V are orthonormal; S descends", arguments: [(7, 5), (5, 7), (6, 6), (1, 4), (40, 3)])
    func reconstruct(shape: (Int, Int)) throws {
        let (m, n) = shape
        let a = Self.random(m, n, seed: UInt64(m * 100 + n))
        let f = try ThinSVD(a, rows: m, columns: n)
        let r = min(m, n)
        #expect(f.u.count == m * r && f.s.count == r && f.vt.count == r * n)
        #expect(relativeMaxError(f.reconstructed(), a) < 1e-5)
        for i in 1..<r { #expect(f.s[i - 1] >= f.s[i]) }
        for i in 0..<r {
            for j in 0..<r {
                var uu: Float = 0, vv: Float = 0
                for k in 0..<m { uu += f.u[k * r + i] * f.u[k * r + j] }
                for k in 0..<n { vv += f.vt[i * n + k] * f.vt[j * n + k] }
                #expect(abs(uu - (i == j ? 1 : 0)) < 1e-5 && abs(vv - (i == j ? 1 : 0)) < 1e-5)
            }
        }
    }

    @Test("a known spectrum: diag(3, 2, 1) permuted")
    func known() throws {
        let a: [Float] = [0, 2, 0, 0, 0, 1, 3, 0, 0]
        #expect(try ThinSVD(a, rows: 3, columns: 3).s == [3, 2, 1])
    }

    @Test("NaN, a wrong count and an empty matrix")
    func bad() throws {
        #expect(throws: ThinSVD.Failure.nonFinite(rows: 2, columns: 2)) { try ThinSVD([1, .nan, 0, 1], rows: 2, columns: 2) }
        #expect(throws: ThinSVD.Failure.wrongCount(rows: 2, columns: 2, count: 3)) { try ThinSVD([1, 2, 3], rows: 2, columns: 2) }
        #expect(try ThinSVD([], rows: 0, columns: 5).s.isEmpty)
    }
}

@Suite("symmetric eigendecomposition on LAPACK")
struct SymmetricEigenTests {
    @Test("A·e_j = λ_j·e_j, λ descending, unit vectors; a known spectrum")
    func decompose() throws {
        let n = 6
        let b = SVDTests.random(n, n, seed: 5).map(Double.init)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[i * n + k] * b[j * n + k] } } }
        let e = try SymmetricEigen(a, n: n)
        for j in 1..<n { #expect(e.values[j - 1] >= e.values[j]) }
        for j in 0..<n {
            var norm = 0.0
            for i in 0..<n {
                var av = 0.0
                for k in 0..<n { av += a[i * n + k] * e.vectors[j * n + k] }
                #expect(abs(av - e.values[j] * e.vectors[j * n + i]) < 1e-12)
                norm += e.vectors[j * n + i] * e.vectors[j * n + i]
            }
            #expect(abs(norm - 1) < 1e-12)
        }
        #expect(try SymmetricEigen([2, 0, 0, 5], n: 2).values == [5, 2])
        #expect(throws: SymmetricEigen.Failure.nonFinite(n: 1)) { try SymmetricEigen([.infinity], n: 1) }
    }
}
