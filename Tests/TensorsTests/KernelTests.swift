import Testing
@testable import Tensors

@Suite("BLAS and parallel kernels")
struct KernelTests {
    @Test("sgemm matches a naive Double matmul within 1e-5 relative")
    func matmul() throws {
        var g = SplitMix(seed: 7)
        let m = 37, k = 129, n = 53
        let a = Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in g.nextFloat() })
        let b = Tensor(shape: [k, n], scalars: (0..<(k * n)).map { _ in g.nextFloat() })
        let c = try a.matmul(b)
        var maxErr = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a.scalars[i * k + p]) * Double(b.scalars[p * n + j]) }
                maxErr = max(maxErr, abs(s - Double(c.scalars[i * n + j])) / max(1, abs(s)))
            }
        }
        #expect(maxErr < 1e-5)
        #expect(throws: TensorError.self) { try a.matmul(a) }
    }

    @Test("transposed sgemm computes A·Bᵀ")
    func transposed() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2×3
        let b: [Float] = [1, 0, 1, 0, 1, 0]  // 2×3, Bᵀ is 3×2
        var c = [Float](repeating: 0, count: 4)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(transposeB: true, m: 2, n: 2, k: 3, a: ap.baseAddress!, lda: 3, b: bp.baseAddress!, ldb: 3,
                               c: cp.baseAddress!, ldc: 2)
                }
            }
        }
        #expect(c == [4, 2, 10, 5])
    }

    @Test("L1 norm over 3 million values matches Double summation within 1e-6 relative")
    func l1() {
        var g = SplitMix(seed: 1)
        let x = (0..<3_000_003).map { _ in g.nextFloat() * 1e-3 }
        let exact = x.reduce(0.0) { $0 + Double(abs($1)) }
        let ours = Tensor(shape: [x.count], scalars: x).l1Norm
        #expect(abs(ours - exact) / exact < 1e-6)
        #expect(Tensor(shape: [0]).l1Norm == 0)
    }

    @Test("parallel ranges cover every index exactly once")
    func ranges() {
        for count in [0, 1, 7, 65_536, 1_000_003] {
            var hits = [UInt8](repeating: 0, count: count)
            hits.withUnsafeMutableBufferPointer { h in
                let p = h.baseAddress
                Parallel.forRanges(count: count, minChunk: 1000) { r in for i in r { p![i] &+= 1 } }
            }
            #expect(hits.allSatisfy { $0 == 1 }, "count \(count)")
        }
    }

    @Test("elementwise arithmetic")
    func arithmetic() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [0.5, 0.5, 1, -1])
        #expect((a - b).scalars == [0.5, 1.5, 2, 5])
        #expect((a + b).scalars == [1.5, 2.5, 4, 3])
        #expect((2 * a).scalars == [2, 4, 6, 8])
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var generator: SeededRandom
    init(seed: UInt64) { generator = SeededRandom(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}
