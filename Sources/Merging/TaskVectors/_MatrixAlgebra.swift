import Tensors

/// Row-major dense matrices and the few operations the SVD merges need, on BLAS and LAPACK.
struct _Matrix {
    var rows: Int
    var columns: Int
    /// rows × columns values, row-major.
    var values: [Float]

    init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "matrix values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: 0, count: rows * columns))
    }

    /// min(rows, columns).
    var rank: Int { min(rows, columns) }

    /// The thin SVD.
    func svd(method: String, key: String) throws(MergeError) -> ThinSVD {
        do {
            return try ThinSVD(values, rows: rows, columns: columns)
        } catch {
            throw MergeError.invalidOption("\(method): the SVD of '\(key)' (\(rows)×\(columns)) failed: \(error)")
        }
    }

    /// self · other (with either transposed).
    func times(_ other: _Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> _Matrix {
        let m = transposeSelf ? columns : rows, k = transposeSelf ? rows : columns
        let n = transposeOther ? other.rows : other.columns
        precondition(k == (transposeOther ? other.columns : other.rows), "inner dimensions")
        var out = _Matrix(zeros: m, n)
        if m == 0 || n == 0 || k == 0 { return out }
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                               a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                               c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }

    /// Each column j multiplied by `scale[j]`.
    func scalingColumns(_ scale: [Float]) -> _Matrix {
        var out = self
        out.values.withUnsafeMutableBufferPointer { p in
            for i in 0..<rows { for j in 0..<columns { p[i * columns + j] *= scale[j] } }
        }
        return out
    }

    /// The nearest matrix with orthonormal columns (rows) in the Frobenius norm, P·Qᵀ from the
    /// SVD P·Σ·Qᵀ: the orthogonal Procrustes step of TSV-M and Iso-CTS (`u @ vh` of
    /// `torch.linalg.svd(x, full_matrices=False)`).
    func orthogonalized(method: String, key: String) throws(MergeError) -> _Matrix {
        let f = try svd(method: method, key: key)
        return _Matrix(rows: rows, columns: f.rank, values: f.u).times(_Matrix(rows: f.rank, columns: columns, values: f.vt))
    }
}

extension ThinSVD {
    /// U as a matrix (rows × rank).
    var uMatrix: _Matrix { _Matrix(rows: rows, columns: rank, values: u) }
    /// Vᵀ as a matrix (rank × columns).
    var vtMatrix: _Matrix { _Matrix(rows: rank, columns: columns, values: vt) }
}
