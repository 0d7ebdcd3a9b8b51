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

    /// ‖A·e − λ·e‖∞ over the pairs, and the largest |e_iᵀe_j − δ_ij|.
    static func residuals(_ a: [Double], n: Int, _ e: SymmetricEigen) -> (residual: Double, orthogonality: Double) {
        let k = e.values.count
        guard e.vectors.allSatisfy(\.isFinite), e.values.allSatisfy(\.isFinite) else { return (.infinity, .infinity) }
        var residual = 0.0, orthogonality = 0.0
        for j in 0..<k {
            for i in 0..<n {
                var av = 0.0
                for c in 0..<n { av += a[i * n + c] * e.vectors[j * n + c] }
                residual = max(residual, abs(av - e.values[j] * e.vectors[j * n + i]))
            }
            for l in 0..<k {
                var dot = 0.0
                for i in 0..<n { dot += e.vectors[j * n + i] * e.vectors[l * n + i] }
                orthogonality = max(orthogonality, abs(dot - (j == l ? 1 : 0)))
            }
        }
        return (residual, orthogonality)
    }

    @Test("the k largest pairs (inverse iteration): the full decomposition's top k, orthonormal, on a Gram matrix, a repeated top eigenvalue, a split matrix and a zero one")
    func largest() throws {
        let n = 40, k = 7
        let b = SVDTests.random(n, 60, seed: 9).map(Double.init)
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for c in 0..<60 { gram[i * n + j] += b[i * 60 + c] * b[j * 60 + c] } } }
        let full = try SymmetricEigen(gram, n: n), top = try SymmetricEigen(gram, n: n, largest: k)
        #expect(top.values.count == k && top.vectors.count == k * n)
        for j in 0..<k {
            #expect(abs(top.values[j] - full.values[j]) < 1e-12 * full.values[0])
            let dot = (0..<n).reduce(0.0) { $0 + top.vectors[j * n + $1] * full.vectors[j * n + $1] }
            #expect(abs(abs(dot) - 1) < 1e-10, "vector \(j)")
        }
        let r = Self.residuals(gram, n: n, top)
        #expect(r.residual < 1e-12 * full.values[0] && r.orthogonality < 1e-12)
        // Q·diag(5, 5, 5, 3, 1, …)·Qᵀ: the repeated top value's vectors are any orthonormal basis of its space.
        var q = [Double](repeating: 0, count: n * n)
        let spectrum = (0..<n).map { $0 < 3 ? 5.0 : ($0 == 3 ? 3 : 1 / Double($0)) }
        for i in 0..<n { for j in 0..<n { for c in 0..<n { q[i * n + j] += full.vectors[c * n + i] * spectrum[c] * full.vectors[c * n + j] } } }
        let repeated = try SymmetricEigen(q, n: n, largest: 4)
        #expect(repeated.values.enumerated().allSatisfy { abs($1 - [5, 5, 5, 3][$0]) < 1e-12 })
        let rr = Self.residuals(q, n: n, repeated)
        #expect(rr.residual < 1e-12 && rr.orthogonality < 1e-12)
        // Two diagonal blocks (the tridiagonal form splits) and the zero matrix (inverse iteration
        // gives NaN there, MRRR answers): finite, orthonormal pairs.
        var split = [Double](repeating: 0, count: n * n)
        for i in 0..<20 { for j in 0..<20 { split[i * n + j] = gram[i * n + j]; split[(i + 20) * n + j + 20] = 2 * gram[i * n + j] } }
        let rs = Self.residuals(split, n: n, try SymmetricEigen(split, n: n, largest: k))
        #expect(rs.residual < 1e-11 * full.values[0] && rs.orthogonality < 1e-12)
        // Rank 3 with k = 7: four of the wanted pairs share the eigenvalue 0.
        var low = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for c in 0..<3 { low[i * n + j] += b[i * 60 + c] * b[j * 60 + c] } } }
        let lowTop = try SymmetricEigen(low, n: n, largest: k)
        let rl = Self.residuals(low, n: n, lowTop)
        #expect(rl.residual < 1e-12 * lowTop.values[0] && rl.orthogonality < 1e-12)
        let zero = [Double](repeating: 0, count: n * n)
        let z = try SymmetricEigen(zero, n: n, largest: k)
        #expect(z.values == [Double](repeating: 0, count: k))
        #expect(Self.residuals(zero, n: n, z).orthogonality < 1e-12)
    }
}
