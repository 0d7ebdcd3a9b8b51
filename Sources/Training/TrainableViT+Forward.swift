import CLIP
import Tensors

extension TrainableViT {
    /// Runs `n` images `[n, 3, S, S]` through the tower on the calling thread (single-threaded
    /// BLAS expected), keeping every activation the backward pass needs in `ws`; the features
    /// `[n, outputDim]` end up in `ws.features`.
    ///
    /// The same computation as `CLIP.VisionTransformer` (im2col patch embedding, class token,
    /// positional embedding, `ln_pre`, pre-LN residual blocks with fused-`in_proj` attention,
    /// `ln_post` on the class token, `· proj`); as there, the last block computes queries, `out_proj`
    /// and the MLP for the class tokens only (the rest never reaches the loss).
    /// - Precondition: `n <= ws.capacity` and `ws` was made for this configuration.
    func forward(pixels: UnsafePointer<Float>, count n: Int, workspace ws: TrainingWorkspace) {
        precondition(n <= ws.capacity && ws.config == config, "TrainableViT.forward: workspace does not fit")
        let c = config, w = c.width, t = c.tokens, g = c.gridSize, g2 = g * g, p = c.patchSize
        let s = c.imageSize, k = 3 * p * p, rows = n * t, m = c.mlpWidth, L = layout
        let theta = UnsafePointer(weights.pointer)

        // Patch embedding: im2col in (c, ky, kx) order, then one product with conv1 [W, 3P²].
        let patches = ws.patches.pointer
        for img in 0..<n {
            let src = pixels + img * 3 * s * s
            for gy in 0..<g {
                for gx in 0..<g {
                    let dst = patches + (img * g2 + gy * g + gx) * k
                    for ch in 0..<3 {
                        for ky in 0..<p {
                            (dst + (ch * p + ky) * p).update(from: src + ch * s * s + (gy * p + ky) * s + gx * p, count: p)
                        }
                    }
                }
            }
        }
        let x0 = ws.x0.pointer
        // Patch rows land at token 1… of each image: run the product image by image into x0.
        for img in 0..<n {
            BLAS.sgemm(transposeB: true, m: g2, n: w, k: k, a: patches + img * g2 * k, lda: k,
                       b: theta + L.conv, ldb: k, c: x0 + (img * t + 1) * w, ldc: w)
            let xi = x0 + img * t * w
            for j in 0..<w { xi[j] = theta[L.classEmbedding + j] }
            for j in 0..<(t * w) { xi[j] += theta[L.positional + j] }
        }
        _LayerKernels.layerNorm(rows: rows, width: w, src: x0, srcStride: w, dst: ws.xIn.pointer, dstStride: w,
                                gamma: theta + L.lnPreWeight, beta: theta + L.lnPreBias,
                                mean: ws.preStats.pointer, rstd: ws.preStats.pointer + rows)

        let heads = c.heads, hd = c.headWidth, scale = 1 / Float(hd).squareRoot()
        for (l, b) in L.blocks.enumerated() {
            let x = ws.xIn.pointer + l * rows * w, xOut = ws.xIn.pointer + (l + 1) * rows * w
            let y1 = ws.y1.pointer + l * rows * w, qkv = ws.qkv.pointer + l * rows * 3 * w
            let probs = ws.probs.pointer + l * n * heads * t * t, ctx = ws.ctx.pointer + l * rows * w
            let xMid = ws.xMid.pointer + l * rows * w, y2 = ws.y2.pointer + l * rows * w
            let hPre = ws.hPre.pointer + l * rows * m, hAct = ws.hAct.pointer + l * rows * m
            let s1 = ws.ln1Stats.pointer + l * 2 * rows, s2 = ws.ln2Stats.pointer + l * 2 * rows

            _LayerKernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y1, dstStride: w,
                                    gamma: theta + b.ln1Weight, beta: theta + b.ln1Bias, mean: s1, rstd: s1 + rows)
            _LayerKernels.fillRows(qkv, rows: rows, width: 3 * w, bias: theta + b.inProjBias)
            BLAS.sgemm(transposeB: true, m: rows, n: 3 * w, k: w, a: y1, lda: w, b: theta + b.inProjWeight, ldb: w,
                       beta: 1, c: qkv, ldc: 3 * w)
            // The last block feeds only its class tokens to ln_post: there, queries, out_proj and
            // the MLP run on the class rows alone (`outRows` rows, `xs` apart), keys and values on all.
            let last = l == c.layers - 1
            let qRows = last ? 1 : t, outRows = last ? n : rows, xs = last ? t * w : w
            for img in 0..<n {
                for h in 0..<heads {
                    let base = qkv + img * t * 3 * w + h * hd
                    let pr = probs + (img * heads + h) * t * t
                    BLAS.sgemm(transposeB: true, m: qRows, n: t, k: hd, alpha: scale, a: base, lda: 3 * w,
                               b: base + w, ldb: 3 * w, c: pr, ldc: t)
                    _LayerKernels.softmaxRows(pr, rows: qRows, n: t)
                    BLAS.sgemm(m: qRows, n: hd, k: t, a: pr, lda: t, b: base + 2 * w, ldb: 3 * w,
                               c: ctx + img * t * w + h * hd, ldc: w)
                }
            }
            // xMid = x + out_proj(ctx)
            _LayerKernels.copyRows(outRows, width: w, from: x, stride: xs, to: xMid)
            BLAS.sgemm(transposeB: true, m: outRows, n: w, k: w, a: ctx, lda: xs, b: theta + b.outProjWeight, ldb: w,
                       beta: 1, c: xMid, ldc: xs)
            _LayerKernels.addRows(xMid, rows: outRows, width: w, stride: xs, bias: theta + b.outProjBias)
            // xOut = xMid + c_proj(act(c_fc(ln_2(xMid)))); y2, hPre, hAct hold outRows compact rows.
            _LayerKernels.layerNorm(rows: outRows, width: w, src: xMid, srcStride: xs, dst: y2, dstStride: w,
                                    gamma: theta + b.ln2Weight, beta: theta + b.ln2Bias, mean: s2, rstd: s2 + rows)
            _LayerKernels.fillRows(hPre, rows: outRows, width: m, bias: theta + b.fcBias)
            BLAS.sgemm(transposeB: true, m: outRows, n: m, k: w, a: y2, lda: w, b: theta + b.fcWeight, ldb: w,
                       beta: 1, c: hPre, ldc: m)
            _LayerKernels.activation(c.activation, src: hPre, dst: hAct, count: outRows * m)
            _LayerKernels.copyRows(outRows, width: w, from: xMid, stride: xs, to: xOut)
            BLAS.sgemm(transposeB: true, m: outRows, n: w, k: m, a: hAct, lda: m, b: theta + b.projWeight, ldb: m,
                       beta: 1, c: xOut, ldc: xs)
            _LayerKernels.addRows(xOut, rows: outRows, width: w, stride: xs, bias: theta + b.projBias)
        }

        // ln_post on each class token, then the projection.
        let xLast = ws.xIn.pointer + c.layers * rows * w
        _LayerKernels.layerNorm(rows: n, width: w, src: xLast, srcStride: t * w, dst: ws.pooled.pointer, dstStride: w,
                                gamma: theta + L.lnPostWeight, beta: theta + L.lnPostBias,
                                mean: ws.postStats.pointer, rstd: ws.postStats.pointer + n)
        BLAS.sgemm(m: n, n: c.outputDim, k: w, a: ws.pooled.pointer, lda: w, b: theta + L.proj, ldb: c.outputDim,
                   c: ws.features.pointer, ldc: c.outputDim)
    }
}
