/// The operations a transformer encoder is made of, on row-major `Float` buffers: the seam where a
/// second backend (a GPU) goes beside ``CPUBackend``.
///
/// Every model in Lines (``VisionTransformer``, ``TextTransformer``, Training's `TrainableViT`
/// forward and backward) runs through these calls and nothing else touches BLAS or a kernel, so a
/// backend implements this protocol and the models run on it unchanged. Pointers are the
/// backend's memory (host memory for the CPU backend). Matrices are row-major with leading
/// dimensions in elements; "rows … `stride` apart" means row `r` starts at `base + r · stride`.
package protocol ComputeBackend {
    // MARK: Linear algebra

    /// `C = α · op(A) · op(B) + β · C` with `op(A)` `[m, k]`, `op(B)` `[k, n]`, `C` `[m, n]`.
    func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
              a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int)

    // MARK: Normalisation, attention, activation

    /// LayerNorm of `rows` rows of `width`: `(x − mean) / √(var + eps) · gamma + beta` (biased
    /// variance, eps 1e-5), `src` rows `srcStride` apart into `dst` rows `dstStride` apart (in
    /// place when equal); each row's mean and 1/σ saved in `stats` when given.
    func layerNorm(rows: Int, width: Int, src: UnsafePointer<Float>, srcStride: Int,
                   dst: UnsafeMutablePointer<Float>, dstStride: Int,
                   gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, stats: LayerNormStats?)

    /// Scaled dot-product attention of every (image, head) of a fused q/k/v buffer (see
    /// ``AttentionProblem``): `context = softmax(Q Kᵀ / √headWidth) · V`.
    func attention(_ problem: AttentionProblem)

    /// Softmax of each of `rows` contiguous rows of `n` values, in place (max-subtracted).
    func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int)

    /// `dst = act(src)` for `count` values (in place when `src == dst`).
    func activation(_ activation: Activation, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, count: Int)

    // MARK: Elementwise and data movement

    /// Copies `bias` into each of `rows` contiguous rows of `width`.
    func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>)

    /// Adds `bias` to each of `rows` rows of `width`, `stride` apart.
    func addRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, bias: UnsafePointer<Float>)

    /// Copies `rows` rows of `width`, `stride` apart, from `src` to the same places in `dst`.
    func copyRows(_ rows: Int, width: Int, from src: UnsafePointer<Float>, stride: Int, to dst: UnsafeMutablePointer<Float>)

    /// Sets `count` values to zero.
    func zero(_ x: UnsafeMutablePointer<Float>, count: Int)

    /// `dst[i] += src[i]` for `count` values.
    func accumulate(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int)

    /// The patches of `images` CHW images of side `imageSize` as rows `[images · grid², 3 · patch²]`,
    /// each in `(channel, ky, kx)` order (the order of a `conv1` weight's last three dimensions).
    func im2col(pixels: UnsafePointer<Float>, images: Int, imageSize: Int, patchSize: Int, into patches: UnsafeMutablePointer<Float>)

    /// ViT token rows `[images · tokens, width]`: token 0 of each image is `classEmbedding`, token
    /// `j ≥ 1` is patch row `j − 1` of that image in `patchRows`; `positional` `[tokens, width]` added.
    func embedTokens(patchRows: UnsafePointer<Float>, classEmbedding: UnsafePointer<Float>, positional: UnsafePointer<Float>,
                     images: Int, tokens: Int, width: Int, into x: UnsafeMutablePointer<Float>)

    // MARK: Backward passes

    /// LayerNorm backward from the saved `stats`: with x̂ = (x − μ)/σ and g = dy ⊙ γ,
    /// `dx += (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ`, `dγ += Σ dy ⊙ x̂`, `dβ += Σ dy`.
    func layerNormBackward(rows: Int, width: Int, x: UnsafePointer<Float>, xStride: Int, stats: LayerNormStats,
                           gamma: UnsafePointer<Float>, dy: UnsafePointer<Float>, dyStride: Int,
                           dx: UnsafeMutablePointer<Float>, dxStride: Int,
                           dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>)

    /// `d[i] *= act′(x[i])` for `count` values.
    func activationBackward(_ activation: Activation, x: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, count: Int)

    /// Softmax backward in place: `dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale` for `rows` rows of `n`.
    func softmaxBackward(probs: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int, n: Int, scale: Float)

    /// `dst[j] += Σ_r src[r, j]` (a bias gradient) over `rows` rows of `width`, `stride` apart.
    func addColumnSums(rows: Int, width: Int, src: UnsafePointer<Float>, stride: Int, dst: UnsafeMutablePointer<Float>)
}

extension ComputeBackend {
    /// ``gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` with BLAS's defaults.
    @inline(__always)
    package func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
             a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// Where a LayerNorm saves each row's mean and 1/σ for its backward pass.
package struct LayerNormStats {
    /// One mean per row.
    package var mean: UnsafeMutablePointer<Float>
    /// One 1/σ per row.
    package var rstd: UnsafeMutablePointer<Float>

    /// Means at `base`, 1/σ at `base + rows`.
    package init(_ base: UnsafeMutablePointer<Float>, rows: Int) {
        mean = base
        rstd = base + rows
    }
}

/// One multi-head attention over a batch of equal-length sequences.
///
/// `qkv` holds `images · tokens` rows of `3 · width`: head `h`'s query at columns
/// `h · headWidth…`, its key at `width + h · headWidth…`, its value at `2 · width + h · headWidth…`.
/// The first `queries` tokens of each image attend to all of its tokens; head `h`'s context of
/// token `i` goes to `context + (image · tokens + i) · width + h · headWidth`.
package struct AttentionProblem {
    /// Where the probabilities live: scratch (one `[tokens, tokens]` matrix per concurrent worker,
    /// overwritten) or kept for a backward pass (`[images · heads, tokens, tokens]`, job
    /// `image · heads + head`).
    package enum Scores {
        case scratch(UnsafeMutablePointer<Float>, slots: Int)
        case kept(UnsafeMutablePointer<Float>)
    }

    package var qkv: UnsafePointer<Float>
    package var images, tokens, width, heads: Int
    /// Query rows per image: `tokens`, or 1 when only the class token goes on.
    package var queries: Int
    package var scores: Scores
    package var context: UnsafeMutablePointer<Float>

    package var headWidth: Int { width / heads }

    package init(qkv: UnsafePointer<Float>, images: Int, tokens: Int, width: Int, heads: Int, queries: Int,
                 scores: Scores, context: UnsafeMutablePointer<Float>) {
        self.qkv = qkv
        self.images = images
        self.tokens = tokens
        self.width = width
        self.heads = heads
        self.queries = queries
        self.scores = scores
        self.context = context
    }
}
