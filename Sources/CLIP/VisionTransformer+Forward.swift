import Tensors

/// Pointers into a workspace for one group of images, and whether kernels may fork threads.
struct _Scratch {
    var patches, patchOut, x, y, qkv, hidden, pooled, scores: UnsafeMutablePointer<Float>
    /// Score matrices available at `scores` (one per concurrent attention worker).
    var slots: Int
    /// Row-wise kernels and attention run on ``Parallel`` threads (false inside a split batch).
    var parallel: Bool
}

extension VisionTransformerWorkspace {
    /// The workspace region of images `first...` for worker `slot` (or all slots when parallel).
    func scratch(firstImage a: Int, slot: Int?, config c: VisionTransformerConfig) -> _Scratch {
        let t = c.tokens, w = c.width, g2 = c.gridSize * c.gridSize, kdim = 3 * c.patchSize * c.patchSize
        return _Scratch(
            patches: patches.pointer + a * g2 * kdim, patchOut: patchOut.pointer + a * g2 * w,
            x: x.pointer + a * t * w, y: y.pointer + a * t * w, qkv: qkv.pointer + a * t * 3 * w,
            hidden: hidden.pointer + a * t * c.mlpWidth, pooled: pooled.pointer + a * w,
            scores: scores.pointer + (slot ?? 0) * t * t, slots: slot == nil ? slots : 1, parallel: slot == nil)
    }
}

extension VisionTransformer {
    /// Runs one batch: `count` images at `pixels` ([count, 3, S, S]) into `features` ([count, D]).
    ///
    /// Allocates nothing: all intermediates live in `workspace`.
    /// - Precondition: `count <= workspace.batchCapacity` and the workspace was made for `config`.
    public func forward(pixels: UnsafePointer<Float>, count n: Int,
                        features: UnsafeMutablePointer<Float>, workspace ws: VisionTransformerWorkspace) {
        precondition(n <= ws.batchCapacity && ws.config.tokens == config.tokens && ws.config.width == config.width
                     && ws.config.mlpWidth == config.mlpWidth, "workspace does not fit this batch")
        guard n > 0 else { return }
        let perImage = 3 * config.imageSize * config.imageSize, d = config.outputDim
        let groups = min(n, ws.slots)
        if parallelism == .splitBatch && groups > 1 {
            BLASThreads.singleThreaded {
                Parallel.forEach(groups) { g in
                    let a = g * n / groups, b = (g + 1) * n / groups
                    forwardGroup(pixels: pixels + a * perImage, count: b - a, features: features + a * d,
                                 scratch: ws.scratch(firstImage: a, slot: g, config: config))
                }
            }
        } else {
            BLASThreads.useAllThreads()
            forwardGroup(pixels: pixels, count: n, features: features,
                         scratch: ws.scratch(firstImage: 0, slot: nil, config: config))
        }
    }

    func forwardGroup(pixels: UnsafePointer<Float>, count n: Int, features: UnsafeMutablePointer<Float>, scratch z: _Scratch) {
        let w = config.width, t = config.tokens, g = config.gridSize, g2 = g * g, p = config.patchSize
        let s = config.imageSize, kdim = 3 * p * p, rows = n * t, par = z.parallel

        // Patch embedding: im2col in (c, ky, kx) order, the order of conv1.weight's last 3 dims.
        let patches = z.patches
        _Kernels.split(n * g, parallel: par) { job in
            let img = job / g, gy = job % g
            let src = pixels + img * 3 * s * s
            for gx in 0..<g {
                let dst = patches + ((img * g2) + gy * g + gx) * kdim
                for c in 0..<3 {
                    for ky in 0..<p {
                        (dst + (c * p + ky) * p).update(from: src + c * s * s + (gy * p + ky) * s + gx * p, count: p)
                    }
                }
            }
        }
        BLAS.sgemm(transposeB: true, m: n * g2, n: w, k: kdim, a: patches, lda: kdim,
                   b: conv.pointer, ldb: kdim, c: z.patchOut, ldc: w)

        // Tokens: [class, patches] + positional embedding, then ln_pre in place.
        let x = z.x, patchOut = z.patchOut, pos = positional.pointer, cls = classEmbedding.pointer
        _Kernels.split(n, parallel: par) { img in
            let xi = x + img * t * w
            for j in 0..<w { xi[j] = cls[j] + pos[j] }
            for tok in 1..<t {
                let d = xi + tok * w, e = patchOut + (img * g2 + tok - 1) * w, q = pos + tok * w
                for j in 0..<w { d[j] = e[j] + q[j] }
            }
        }
        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: x, dstStride: w,
                           gamma: lnPreWeight.pointer, beta: lnPreBias.pointer, parallel: par)

        for (i, block) in blocks.enumerated() {
            residualBlock(block, images: n, scratch: z, classTokenOnly: i == blocks.count - 1)
        }

        // ln_post on each class token, then the projection.
        _Kernels.layerNorm(rows: n, width: w, src: x, srcStride: t * w, dst: z.pooled, dstStride: w,
                           gamma: lnPostWeight.pointer, beta: lnPostBias.pointer, parallel: par)
        BLAS.sgemm(m: n, n: config.outputDim, k: w, a: z.pooled, lda: w, b: proj.pointer, ldb: config.outputDim,
                   c: features, ldc: config.outputDim)
    }

    /// `x += out_proj(attention(ln_1(x)))`, `x += c_proj(act(c_fc(ln_2(x))))` over a group of images.
    ///
    /// With `classTokenOnly` (the last block: only the class token leaves the encoder) keys and
    /// values are computed for every token, but queries, attention, `out_proj` and the MLP only
    /// for the class tokens (rows `tokens · width` apart in `x`): the same values, fewer FLOPs.
    func residualBlock(_ b: ResidualAttentionBlock, images n: Int, scratch z: _Scratch, classTokenOnly: Bool) {
        let w = config.width, t = config.tokens, rows = n * t, mlp = config.mlpWidth
        let heads = config.heads, hd = config.headWidth, par = z.parallel
        let x = z.x, y = z.y, qkv = z.qkv, hidden = z.hidden
        // Rows that go on past attention, and their stride in x.
        let outRows = classTokenOnly ? n : rows, xStride = classTokenOnly ? t * w : w

        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y, dstStride: w,
                           gamma: b.ln1Weight.pointer, beta: b.ln1Bias.pointer, parallel: par)
        _Kernels.fillRows(qkv, rows: rows, width: 3 * w, bias: b.inProjBias.pointer, parallel: par)
        if classTokenOnly {
            BLAS.sgemm(transposeB: true, m: rows, n: 2 * w, k: w, a: y, lda: w,
                       b: b.inProjWeight.pointer + w * w, ldb: w, beta: 1, c: qkv + w, ldc: 3 * w)
            BLAS.sgemm(transposeB: true, m: n, n: w, k: w, a: y, lda: t * w,
                       b: b.inProjWeight.pointer, ldb: w, beta: 1, c: qkv, ldc: t * 3 * w)
        } else {
            BLAS.sgemm(transposeB: true, m: rows, n: 3 * w, k: w, a: y, lda: w,
                       b: b.inProjWeight.pointer, ldb: w, beta: 1, c: qkv, ldc: 3 * w)
        }

        // Scaled dot-product attention per (image, head); the context overwrites y.
        let scale = 1 / Float(hd).squareRoot(), queries = classTokenOnly ? 1 : t
        let jobs = n * heads, slots = min(z.slots, jobs), scoresBase = z.scores
        let attend: (Int, UnsafeMutablePointer<Float>) -> Void = { job, scores in
            let img = job / heads, h = job % heads
            let base = qkv + img * t * 3 * w + h * hd
            BLAS.sgemm(transposeB: true, m: queries, n: t, k: hd, alpha: scale, a: base, lda: 3 * w,
                       b: base + w, ldb: 3 * w, c: scores, ldc: t)
            _Kernels.softmaxRows(scores, rows: queries, n: t)
            BLAS.sgemm(m: queries, n: hd, k: t, a: scores, lda: t, b: base + 2 * w, ldb: 3 * w,
                       c: y + img * t * w + h * hd, ldc: w)
        }
        if par && slots > 1 {
            BLASThreads.singleThreaded {
                Parallel.forEach(slots) { slot in
                    var job = slot
                    while job < jobs { attend(job, scoresBase + slot * t * t); job += slots }
                }
            }
        } else {
            for job in 0..<jobs { attend(job, scoresBase) }
        }
        // out_proj and the MLP (on the class tokens compacted to [N, W] when classTokenOnly).
        b.attentionOutputAndMLP(rows: outRows, width: w, mlpWidth: mlp, activation: config.activation,
                                x: x, xStride: xStride, y: y, contextStride: xStride, hidden: hidden, parallel: par)
    }
}
