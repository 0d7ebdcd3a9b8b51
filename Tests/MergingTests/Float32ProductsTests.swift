import Foundation
import Testing
import Tensors
@testable import Merging

/// The float32 parts of the SVD merges (TSV-M's per-task SVD, Iso-C's product with A) against
/// the `Double` route on matrices with a known spectrum.
@Suite("SVD merges' float32 products")
struct Float32ProductsTests {
    /// Q₁·diag(s)·Q₂ᵀ (rows × columns, row-major Float) with Q₁, Q₂ the orthonormal factors of
    /// random matrices' thin SVDs.
    static func withSpectrum(_ s: [Double], rows: Int, columns: Int, seed: UInt64) throws -> [Float] {
        let r = min(rows, columns)
        precondition(s.count == r)
        let left = try ThinSVD(MatrixAlgebraTests.random(rows, r, seed: seed), rows: rows, columns: r)
        let right = try ThinSVD(MatrixAlgebraTests.random(r, columns, seed: seed + 1), rows: r, columns: columns)
        var a = [Float](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for c in 0..<columns {
                var x = 0.0
                for j in 0..<r { x += Double(left.u[i * r + j]) * s[j] * Double(right.vt[j * columns + c]) }
                a[i * columns + c] = Float(x)
            }
        }
        return a
    }

    @Test("TSV's per-task triplets in float32: the Double route's σ and rank-k product within float32's error",
          arguments: [(120, 48), (48, 120)])
    func topSingular(shape: (Int, Int)) throws {
        let (m, n) = shape
        let r = min(m, n), k = 8
        let a = try Self.withSpectrum((0..<r).map { 1 / (1 + 0.3 * Double($0)) }, rows: m, columns: n, seed: UInt64(m))
        let exact = try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.topSingular(k, method: "test", key: "a")
        let f = try a.withUnsafeBufferPointer { try _Matrix.topSingular(float: $0, rows: m, columns: n, k: k, method: "test", key: "a") }
        for j in 0..<k { #expect(abs(f.s[j] - exact.s[j]) < 2e-6 * exact.s[0], "σ_\(j)") }
        let ours = f.u.scalingColumns(f.s).times(f.vt), want = exact.u.scalingColumns(exact.s).times(exact.vt)
        let worst = zip(ours.values, want.values).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5 * exact.s[0])
        // The long side's vectors come out of unit length (σ = ‖A·v‖).
        let long = m >= n ? f.u : f.vt.transposed
        for j in 0..<k {
            let norm = (0..<long.rows).reduce(0.0) { $0 + long.values[$1 * k + j] * long.values[$1 * k + j] }
            #expect(abs(norm - 1) < 1e-12)
        }
    }

    @Test("more than half the pairs: the Double route itself")
    func fallback() throws {
        let (m, n, k) = (30, 12, 7)
        let a = MatrixAlgebraTests.random(m, n, seed: 5)
        // One thread for both (tests beside this one change OpenBLAS's thread count, and its
        // dsytrd rounds by thread count), as the merges run them.
        let (exact, f) = try BLASThreads.singleThreaded {
            (try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.topSingular(k, method: "test", key: "a"),
             try a.withUnsafeBufferPointer { try _Matrix.topSingular(float: $0, rows: m, columns: n, k: k, method: "test", key: "a") })
        }
        #expect(f.s == exact.s && f.u.values == exact.u.values && f.vt.values == exact.vt.values)
    }

    @Test("Iso-C's c·polar(A) down to σ₁·1e-5: the Double product within 5e-6 of its largest entry, split by direction (a few weak ones) or all in Double (many)",
          arguments: [(96, 40), (40, 96), (40, 40)])
    func scaledPolar(shape: (Int, Int)) throws {
        let (m, n) = shape
        let r = min(m, n)
        // Few weak directions: 4/5 of them from 1 to 1/8, the last fifth from 1/32 to 1e-5 (below
        // σ₁/16, where float32 would lose them: the split route). Many: geometric from 1 to 1e-5
        // (more than half below σ₁/16: all in Double).
        let strongCount = 4 * r / 5
        let few = (0..<r).map { j in
            j < strongCount ? pow(1.0 / 8, Double(j) / Double(strongCount - 1))
                            : pow(10, -1.5 - 3.5 * Double(j - strongCount) / Double(r - strongCount - 1))
        }
        let many = (0..<r).map { pow(1e-5, Double($0) / Double(r - 1)) }
        for (name, spectrum) in [("few weak", few), ("many weak", many)] {
            let weak = spectrum.filter { $0 < 1 / _Matrix.float32ConditionLimit }.count
            #expect(name == "few weak" ? (weak > 0 && 4 * weak < r) : 4 * weak >= r, "\(name): \(weak) of \(r)")
            let a = try Self.withSpectrum(spectrum, rows: m, columns: n, seed: UInt64(7 * m + n))
            let polar = try a.withUnsafeBufferPointer { _Matrix(rows: m, columns: n, floats: $0) }.polar(method: "test", key: "a")
            let c = polar.s.reduce(0, +) / Double(polar.s.count)
            let want = polar.q.values.map { $0 * c }
            let got: [Float] = try a.withUnsafeBufferPointer { p throws(MergeError) -> [Float] in
                try _Matrix.scaledPolar(p, rows: m, columns: n, scale: { $0.reduce(0, +) / Double($0.count) }, method: "test", key: "a")
            }
            let scale = want.map(abs).max() ?? 1
            let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst < 5e-6 * scale, "\(name): \(worst / scale) of the largest entry")
        }
    }
}
