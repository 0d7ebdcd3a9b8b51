#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Matrix products through CBLAS (OpenBLAS on Linux, Accelerate on macOS).
public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C for row-major matrices.
    /// - Parameters:
    ///   - m, n, k: op(A) is m×k, op(B) is k×n, C is m×n.
    ///   - lda, ldb, ldc: leading dimensions (row strides) of A, B, C as stored.
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The upper triangle of C = A·Aᵀ (`transpose`: Aᵀ·A) for row-major A (n×k; k×n transposed), in
    /// `Double`: half the products of the full Gram matrix.
    public static func dsyrk(transpose: Bool = false, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                             c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), 1, a, Int32(lda), 0, c, Int32(ldc))
    }

    /// ``dsyrk(transpose:n:k:a:lda:c:ldc:)`` in `Float`: the upper triangle of A·Aᵀ (`transpose`: Aᵀ·A).
    public static func ssyrk(transpose: Bool = false, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, Int32(n), Int32(k), 1, a, Int32(lda), 0, c, Int32(ldc))
    }

    /// ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` in `Double`.
    public static func dgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Double = 1,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product of two rank-2 tensors, `[m, k] · [k, n] → [m, n]`, on BLAS.
    /// - Throws: ``TensorError/shapeMismatch(expected:found:)`` when the inner dimensions differ.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2, shape[1] == other.shape[0] else {
            throw TensorError.shapeMismatch(expected: [shape.last ?? 0, -1], found: other.shape)
        }
        let m = shape[0], k = shape[1], n = other.shape[1]
        var out = Tensor(shape: [m, n])
        if m == 0 || n == 0 { return out }
        scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                out.scalars.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                               c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
