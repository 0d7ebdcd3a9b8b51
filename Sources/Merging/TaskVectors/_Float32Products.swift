import Tensors

/// The parts of the SVD merges that run in `Float` — products by the task matrices, twice as fast
/// as in `Double` on the same cores — where float32 keeps the results at least as close to the
/// exact ones as the authors' code (which runs entirely in float32) is.
extension _Matrix {
    /// Singular directions with σ ≥ σ₁ / this multiply in `Float` in ``scaledPolar(_:rows:columns:scale:method:key:)``:
    /// there the float32 product's error stays below about this · ε₃₂ · √n of the result's scale;
    /// the weaker ones (where A·(AᵀA)^(−1/2) divides by a small σ and float32 loses everything) in `Double`.
    static let float32ConditionLimit = 16.0

    /// The k largest singular triplets A ≈ U_k · diag(S_k) · V_kᵀ of the row-major `Float` matrix
    /// `a` (rows × columns), as ``topSingular(_:method:key:)`` but with the two products by A in
    /// float32 — TSV's per-task SVD, which the authors run in float32 throughout: the Gram matrix of
    /// the smaller side by `ssyrk` (half of `dsyrk`'s time; widened to `Double` for the
    /// eigensolver), its k largest eigenpairs in `Double` (a float32 reduction to tridiagonal form
    /// moves TSV-M's output by 1e-5 on the test fixtures, this one by 1e-7), the other side's
    /// vectors as A·v by `sgemm`, normalized in `Double` with σ_j = ‖A·v_j‖ (second order in the
    /// vector's error, and unit vectors). Falls back to the `Double` route when 2k exceeds the
    /// smaller side (all pairs are cheaper there).
    static func topSingular(float a: UnsafeBufferPointer<Float>, rows: Int, columns: Int, k: Int,
                            method: String, key: String) throws(MergeError) -> (u: _Matrix, s: [Double], vt: _Matrix) {
        let tall = rows >= columns
        let short = min(rows, columns), long = max(rows, columns)
        guard 2 * k <= short, k > 0, let base = a.baseAddress else {
            return try _Matrix(rows: rows, columns: columns, floats: a).topSingular(k, method: method, key: key)
        }
        // `ssyrk` writes the upper triangle; the lower one stays zero (the eigensolver reads the upper).
        var gram = [Float](repeating: 0, count: short * short)
        gram.withUnsafeMutableBufferPointer { BLAS.ssyrk(transpose: tall, n: short, k: long, a: base, lda: columns, c: $0.baseAddress!, ldc: short) }
        let eigen = try _Matrix(rows: short, columns: short, values: gram.map(Double.init)).symmetricEigen(largest: k, method: method, key: key)
        let vectors = eigen.vectors[0..<(k * short)].map(Float.init)
        // tall: P = A·V_k (rows × k), U_k = P / σ; wide: P = U_kᵀ·A (k × columns), V_kᵀ = P / σ.
        let products = tall ? rows * k : k * columns
        var p = [Float](unsafeUninitializedCapacity: products) { _, count in count = products }
        vectors.withUnsafeBufferPointer { v in
            p.withUnsafeMutableBufferPointer { out in
                if tall {
                    BLAS.sgemm(transposeB: true, m: rows, n: k, k: columns, a: base, lda: columns, b: v.baseAddress!, ldb: columns,
                               c: out.baseAddress!, ldc: k)
                } else {
                    BLAS.sgemm(m: k, n: columns, k: rows, a: v.baseAddress!, lda: rows, b: base, ldb: columns,
                               c: out.baseAddress!, ldc: columns)
                }
            }
        }
        var norms = [Double](repeating: 0, count: k)
        if tall {
            for i in 0..<rows { for j in 0..<k { let x = Double(p[i * k + j]); norms[j] += x * x } }
        } else {
            for j in 0..<k { for c in 0..<columns { let x = Double(p[j * columns + c]); norms[j] += x * x } }
        }
        let s = norms.map { $0.squareRoot() }
        let inverse = s.map { $0 > 0 ? 1 / $0 : 0 }
        let eigenvectors = _Matrix(rows: k, columns: short, values: Array(eigen.vectors[0..<(k * short)]))
        if tall {
            let u = _Matrix(rows: rows, columns: k, values: (0..<products).map { Double(p[$0]) * inverse[$0 % k] })
            return (u, s, eigenvectors)
        }
        let vt = _Matrix(rows: k, columns: columns, values: (0..<products).map { Double(p[$0]) * inverse[$0 / columns] })
        return (eigenvectors.transposed, s, vt)
    }

    /// c · polar(A) for the row-major `Float` matrix `a` — A·(AᵀA)^(−1/2), or (AAᵀ)^(−1/2)·A for a
    /// wide one, Iso-C's U·Vᵀ — with c = `scale(σ)` of the singular values (descending), rounded to
    /// `Float`. The Gram matrix and its eigendecomposition in `Double`; the product with A split by
    /// direction: those with σ ≥ σ₁ / ``float32ConditionLimit`` by `sgemm`, with their factor formed
    /// by `ssyrk` (twice the speed of `dgemm` and `dsyrk`, within about 2e-6 of the result's largest
    /// entry: the authors' float32 SVD is within 6e-6 on the benchmark), the weaker ones by `dgemm`
    /// through their vectors, where float32 would lose every digit (1/σ large). When the weak
    /// directions are a quarter of the side or more (a fast decaying spectrum), their two thin
    /// products cost more than the float32 half saves, and the whole product runs in `Double`.
    /// Directions with σ ≤ 1e-7·σ₁ are left out, as in ``inverseSquareRootOfGram(ofRows:method:key:)``.
    static func scaledPolar(_ a: UnsafeBufferPointer<Float>, rows: Int, columns: Int, scale: ([Double]) -> Double,
                            method: String, key: String) throws(MergeError) -> [Float] {
        let matrix = _Matrix(rows: rows, columns: columns, floats: a)
        let tall = rows >= columns
        let eigen = try matrix.gramUpper.symmetricEigen(method: method, key: key)
        let n = eigen.n
        let (s, kept) = keptSingularValues(eigen)
        let c = scale(s)
        let strong = min(kept, s.firstIndex { $0 < (s.first ?? 0) / float32ConditionLimit } ?? n)
        // Float32 for the strong directions and Double for the weak ones: 2mn²/2 + 4mn·weak against
        // 2mn² in Double alone.
        let split = 4 * (kept - strong) < n
        let float32 = split ? strong : 0
        // W = Σ_j e_j·e_jᵀ·c/σ_j over the directions of one product: in Double for the Double
        // product, in Float (ssyrk) for the float32 one.
        let rowScale = { (j: Int) in (c / s[j]).squareRoot() }
        guard split else {
            let w = weightedOuterSum(eigen.vectors, n: n, directions: 0..<kept, rowScale: rowScale)
            return (tall ? matrix.times(w) : w.times(matrix)).floats
        }
        let factor = strongFactor(eigen.vectors, n: n, directions: float32, rowScale: rowScale)
        let count = rows * columns
        var out = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        if let base = a.baseAddress, count > 0 {
            factor.withUnsafeBufferPointer { fw in
                out.withUnsafeMutableBufferPointer { o in
                    if tall {
                        BLAS.sgemm(m: rows, n: columns, k: columns, a: base, lda: columns, b: fw.baseAddress!, ldb: columns,
                                   c: o.baseAddress!, ldc: columns)
                    } else {
                        BLAS.sgemm(m: rows, n: columns, k: rows, a: fw.baseAddress!, lda: rows, b: base, ldb: columns,
                                   c: o.baseAddress!, ldc: columns)
                    }
                }
            }
        }
        guard kept > float32 else { return out }
        // The weak directions in Double: (A·E_wᵀ)·diag(c/σ)·E_w, or E_wᵀ·diag(c/σ)·(E_w·A).
        let weak = _Matrix(rows: kept - float32, columns: n, values: Array(eigen.vectors[(float32 * n)..<(kept * n)]))
        let weights = (float32..<kept).map { c / s[$0] }
        let correction: _Matrix
        if tall {
            correction = matrix.times(weak, transposeOther: true).scalingColumns(weights).times(weak)
        } else {
            var projected = weak.times(matrix)
            for j in 0..<projected.rows { for i in 0..<columns { projected.values[j * columns + i] *= weights[j] } }
            correction = weak.times(projected, transposeSelf: true)
        }
        for j in 0..<count { out[j] = Float(Double(out[j]) + correction.values[j]) }
        return out
    }

    /// Σ_j e_j·e_jᵀ·rowScale(j)² over the first `directions` eigenvectors (n × n, both triangles),
    /// in `Float`, as FᵀF by `ssyrk` — ``weightedOuterSum(_:n:directions:rowScale:)`` for a factor
    /// that multiplies in float32 anyway: its rounding adds about as much as the `sgemm` after it.
    private static func strongFactor(_ vectors: [Double], n: Int, directions: Int, rowScale: (Int) -> Double) -> [Float] {
        var f = [Float](repeating: 0, count: directions * n)
        for j in 0..<directions {
            let scale = rowScale(j)
            for c in 0..<n { f[j * n + c] = Float(vectors[j * n + c] * scale) }
        }
        var w = [Float](repeating: 0, count: n * n)
        f.withUnsafeBufferPointer { fp in
            w.withUnsafeMutableBufferPointer { wp in
                guard let a = fp.baseAddress, let c = wp.baseAddress, directions > 0 else { return }
                BLAS.ssyrk(transpose: true, n: n, k: directions, a: a, lda: n, c: c, ldc: n)
                for i in 0..<n { for j in (i + 1)..<n { c[j * n + i] = c[i * n + j] } }
            }
        }
        return w
    }
}
