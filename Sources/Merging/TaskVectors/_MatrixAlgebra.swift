import Tensors

/// A row-major dense `Double` matrix and the few operations the SVD merges need, on BLAS and
/// LAPACK. The eigensolvers and what is ill-conditioned run in `Double` and round once at the end:
/// the Procrustes steps and Iso-C's Gram matrix, whose inverse square root divides by small
/// singular values, and Iso-CTS throughout. TSV-M's per-task Gram matrices and products and the
/// well-conditioned part of Iso-C's product run in `Float`, where float32 keeps the results as
/// close to the exact ones as the authors' own (all-float32) code (`_Float32Products.swift`).
struct _Matrix {
    var rows: Int
    var columns: Int
    /// rows × columns values, row-major.
    var values: [Double]

    init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "matrix values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    init(rows: Int, columns: Int, floats: UnsafeBufferPointer<Float>) {
        self.init(rows: rows, columns: columns, values: floats.map(Double.init))
    }

    init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: 0, count: rows * columns))
    }

    /// The values rounded to `Float`.
    var floats: [Float] { values.map(Float.init) }

    /// op(self) · op(other).
    func times(_ other: _Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> _Matrix {
        let m = transposeSelf ? columns : rows, k = transposeSelf ? rows : columns
        let n = transposeOther ? other.rows : other.columns
        precondition(k == (transposeOther ? other.columns : other.rows), "inner dimensions")
        if m == 0 || n == 0 || k == 0 { return _Matrix(zeros: m, n) }
        // Uninitialized: `dgemm` with β = 0 sets every entry without reading it (BLAS's definition).
        var out = _Matrix(rows: m, columns: n, values: [Double](unsafeUninitializedCapacity: m * n) { _, count in count = m * n })
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                out.values.withUnsafeMutableBufferPointer { c in
                    BLAS.dgemm(transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                               a: a.baseAddress!, lda: columns, b: b.baseAddress!, ldb: other.columns,
                               c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }

    /// Each column j multiplied by `scale[j]`.
    func scalingColumns(_ scale: [Double]) -> _Matrix {
        var out = self
        for i in 0..<rows { for j in 0..<columns { out.values[i * columns + j] *= scale[j] } }
        return out
    }

    /// Writes `block` into columns starting at `column`.
    mutating func place(columns block: _Matrix, at column: Int) {
        for i in 0..<rows { for j in 0..<block.columns { values[i * columns + column + j] = block.values[i * block.columns + j] } }
    }

    /// Writes `block` into rows starting at `row`.
    mutating func place(rows block: _Matrix, at row: Int) {
        values.replaceSubrange((row * columns)..<((row + block.rows) * columns), with: block.values)
    }

    /// The Gram matrix of the smaller side, AᵀA for a tall matrix, AAᵀ for a wide one (min × min,
    /// row-major, upper triangle only: `dsyrk`).
    var gramUpper: _Matrix { gram(ofColumns: rows >= columns) }

    /// AᵀA whatever the shape (columns × columns, upper triangle only).
    var gramUpperTransposed: _Matrix { gram(ofColumns: true) }

    /// AAᵀ whatever the shape (rows × rows, upper triangle only).
    var gramUpperOfRows: _Matrix { gram(ofColumns: false) }

    /// AᵀA (`ofColumns`) or AAᵀ by `dsyrk`: the upper triangle only.
    private func gram(ofColumns: Bool) -> _Matrix {
        let n = ofColumns ? columns : rows
        var gram = _Matrix(zeros: n, n)
        if rows > 0 && columns > 0 {
            values.withUnsafeBufferPointer { a in
                gram.values.withUnsafeMutableBufferPointer { c in
                    BLAS.dsyrk(transpose: ofColumns, n: n, k: ofColumns ? rows : columns, a: a.baseAddress!, lda: columns,
                               c: c.baseAddress!, ldc: n)
                }
            }
        }
        return gram
    }

    /// The eigendecomposition of the symmetric matrix whose upper triangle `self` holds; with
    /// `largest`, at least that many greatest eigenpairs (only those when they are at most half:
    /// beyond that, all of them by divide and conquer cost less).
    func symmetricEigen(largest: Int? = nil, method: String, key: String) throws(MergeError) -> SymmetricEigen {
        do {
            if let largest, 2 * largest <= rows { return try SymmetricEigen(values, n: rows, largest: largest) }
            return try SymmetricEigen(values, n: rows)
        } catch {
            throw MergeError.invalidOption("\(method): the eigendecomposition for '\(key)' failed: \(error)")
        }
    }

    /// The eigendecomposition of the Gram matrix of the smaller side: σ_j² and the singular
    /// vectors of that side.
    private func gramEigen(largest: Int? = nil, method: String, key: String) throws(MergeError) -> SymmetricEigen {
        try gramUpper.symmetricEigen(largest: largest, method: method, key: key)
    }

    /// The k largest singular triplets A ≈ U_k · diag(S_k) · V_kᵀ (U_k rows×k, V_kᵀ k×columns),
    /// from the Gram matrix's eigenvectors: the short side's vectors directly, the long side's as
    /// A·v/σ (zero where σ = 0, where a thin SVD's vector is arbitrary and multiplies 0).
    func topSingular(_ k: Int, method: String, key: String) throws(MergeError) -> (u: _Matrix, s: [Double], vt: _Matrix) {
        let eigen = try gramEigen(largest: k, method: method, key: key)
        let short = eigen.n
        let s = (0..<k).map { (max(eigen.values[$0], 0)).squareRoot() }
        let vectors = _Matrix(rows: k, columns: short, values: Array(eigen.vectors[0..<(k * short)]))
        let inverse = s.map { $0 > 0 ? 1 / $0 : 0 }
        if rows >= columns {
            // V_kᵀ = the eigenvectors; U_k = A · V_k / σ.
            return (times(vectors, transposeOther: true).scalingColumns(inverse), s, vectors)
        }
        // U_k = the eigenvectors (as columns); V_kᵀ = U_kᵀ · A / σ.
        var vt = vectors.times(self)
        for j in 0..<k { for c in 0..<columns { vt.values[j * columns + c] *= inverse[j] } }
        return (vectors.transposed, s, vt)
    }

    /// The transpose.
    var transposed: _Matrix {
        var out = _Matrix(zeros: columns, rows)
        for i in 0..<rows { for j in 0..<columns { out.values[j * rows + i] = values[i * columns + j] } }
        return out
    }

    /// The inverse square root on its range of AᵀA (`ofRows` false: columns × columns, the right
    /// factor, `self·W`) or of AAᵀ (`ofRows`: rows × rows, the left factor, `W·self`),
    /// W = E_kᵀ·diag(1/σ)·E_k with both triangles filled, and the singular values σ = √λ of that
    /// Gram matrix, descending. On the smaller side (AᵀA for a tall matrix), self·W or W·self is
    /// the polar factor.
    ///
    /// Directions with σ ≤ 1e-7·σ₁ (beyond float32's resolution; exactly zero for the zero slots
    /// of TSV's bases) are left out: there the thin SVD's vectors are arbitrary, and in the merges
    /// they multiply a zero (or float32-noise) singular value.
    func inverseSquareRootOfGram(ofRows: Bool, method: String, key: String) throws(MergeError) -> (w: _Matrix, s: [Double]) {
        let gram = ofRows ? gramUpperOfRows : gramUpperTransposed
        let eigen = try gram.symmetricEigen(method: method, key: key)
        let (s, kept) = Self.keptSingularValues(eigen)
        let w = Self.weightedOuterSum(eigen.vectors, n: eigen.n, directions: 0..<kept) { 1 / s[$0].squareRoot() }
        return (w, s)
    }

    /// σ = √λ (descending) of a Gram matrix's eigenvalues, and how many of them exceed 1e-7·σ₁:
    /// the directions the merges keep (``inverseSquareRootOfGram(ofRows:method:key:)`` says why).
    static func keptSingularValues(_ eigen: SymmetricEigen) -> (s: [Double], kept: Int) {
        let s = eigen.values.map { max($0, 0).squareRoot() }
        let cutoff = (s.first ?? 0) * 1e-7
        return (s, s.firstIndex { $0 <= cutoff } ?? s.count)
    }

    /// Σ_j e_j·e_jᵀ·rowScale(j)² over `directions` (n × n, both triangles filled) for the
    /// eigenvectors `vectors` (row j = e_j, n values each), as FᵀF with F's rows e_j·rowScale(j):
    /// a symmetric rank-k update (`dsyrk`), half the products of FᵀF by `dgemm`.
    static func weightedOuterSum(_ vectors: [Double], n: Int, directions: Range<Int>, rowScale: (Int) -> Double) -> _Matrix {
        var f = _Matrix(rows: directions.count, columns: n, values: Array(vectors[(directions.lowerBound * n)..<(directions.upperBound * n)]))
        for (row, j) in directions.enumerated() {
            let scale = rowScale(j)
            for c in 0..<n { f.values[row * n + c] *= scale }
        }
        var w = f.gramUpperTransposed
        w.mirrorUpperTriangle()
        return w
    }

    /// Copies the upper triangle onto the lower one (a square matrix).
    mutating func mirrorUpperTriangle() {
        let n = rows
        values.withUnsafeMutableBufferPointer { v in
            for i in 0..<n { for j in (i + 1)..<n { v[j * n + i] = v[i * n + j] } }
        }
    }

    /// polar(u) · diag(scale) · polar(v) for u (m×r, m ≥ r) and v (r×n, n ≥ r) — TSV-M's and
    /// Iso-CTS's reassembly U⊥·diag(S)·V⊥ᵀ — as u · (W_u·diag(scale)·W_v) · v with the r×r factors
    /// multiplied first and the cheaper end next, so that neither orthogonalized basis is formed:
    /// one m×r×n product where the plain order makes two large ones more.
    static func procrustesProduct(u: _Matrix, scale: [Double], v: _Matrix, method: String, key: String) throws(MergeError) -> _Matrix {
        precondition(u.columns == v.rows && scale.count == u.columns && u.rows >= u.columns && v.columns >= v.rows, "Procrustes shapes")
        let wu = try u.inverseSquareRootOfGram(ofRows: false, method: method, key: key).w
        let wv = try v.inverseSquareRootOfGram(ofRows: true, method: method, key: key).w
        let middle = wu.scalingColumns(scale).times(wv)
        // u·(middle·v) costs 2r²n + 2mrn, (u·middle)·v 2mr² + 2mrn.
        return v.columns <= u.rows ? u.times(middle.times(v)) : u.times(middle).times(v)
    }
}
