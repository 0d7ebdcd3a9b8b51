import CLIP
import Tensors

extension TrainableViT {
    /// Backpropagates `ws.dFeatures` (∂loss/∂features, `[n, outputDim]`) through the activations
    /// the last ``forward(pixels:count:workspace:)`` left in `ws`, adding ∂loss/∂θ into `gradient`
    /// (laid out as ``weights``). Single-threaded; `ws`'s scratch is overwritten.
    func backward(count n: Int, workspace ws: TrainingWorkspace, gradient grad: UnsafeMutablePointer<Float>) {
        let c = config, w = c.width, t = c.tokens, g2 = c.gridSize * c.gridSize, k = 3 * c.patchSize * c.patchSize
        let rows = n * t, m = c.mlpWidth, d = c.outputDim, L = layout
        let theta = UnsafePointer(weights.pointer)
        let heads = c.heads, hd = c.headWidth, scale = 1 / Float(hd).squareRoot()
        let dx = ws.dx.pointer, dy = ws.dy.pointer, dqkv = ws.dqkv.pointer, dh = ws.dh.pointer
        let A = ws.activations(count: n), B = CPUBackend(parallel: false)
        guard let preStats = A.preStats, let postStats = A.postStats else {
            preconditionFailure("TrainingWorkspace.activations keeps LayerNorm statistics")
        }

        // features = pooled · proj
        B.gemm(transposeA: true, m: w, n: d, k: n, a: A.pooled, lda: w, b: ws.dFeatures.pointer, ldb: d,
               beta: 1, c: grad + L.proj, ldc: d)
        B.gemm(transposeB: true, m: n, n: w, k: d, a: ws.dFeatures.pointer, lda: d, b: theta + L.proj, ldb: d,
               c: ws.dPooled.pointer, ldc: w)
        // ln_post on the class tokens: only they receive a gradient.
        B.zero(dx, count: rows * w)
        B.layerNormBackward(rows: n, width: w, x: A.output, xStride: t * w,
                            stats: postStats,
                            gamma: theta + L.lnPostWeight, dy: ws.dPooled.pointer, dyStride: w,
                            dx: dx, dxStride: t * w, dGamma: grad + L.lnPostWeight, dBeta: grad + L.lnPostBias)

        for l in stride(from: c.layers - 1, through: 0, by: -1) {
            let b = L.blocks[l]
            let a = A.layers[l]
            guard case .kept(let probs) = a.scores, let s1 = a.ln1Stats, let s2 = a.ln2Stats else {
                preconditionFailure("TrainingWorkspace.activations keeps probabilities and statistics")
            }
            let x = a.input, y1 = a.ln1, qkv = a.qkv, ctx = a.context, xMid = a.mid, y2 = a.ln2
            let hPre = a.hiddenPre, hAct = a.hiddenAct

            // The last block ran queries, out_proj and the MLP on the class rows only (see forward).
            let last = l == c.layers - 1
            let qRows = last ? 1 : t, outRows = last ? n : rows, xs = last ? t * w : w

            // MLP: dx holds ∂/∂xOut; the residual passes it to xMid unchanged.
            B.gemm(transposeA: true, m: w, n: m, k: outRows, a: dx, lda: xs, b: hAct, ldb: m,
                   beta: 1, c: grad + b.projWeight, ldc: m)
            B.addColumnSums(rows: outRows, width: w, src: dx, stride: xs, dst: grad + b.projBias)
            B.gemm(m: outRows, n: m, k: w, a: dx, lda: xs, b: theta + b.projWeight, ldb: m, c: dh, ldc: m)
            B.activationBackward(c.activation, x: hPre, d: dh, count: outRows * m)
            B.gemm(transposeA: true, m: m, n: w, k: outRows, a: dh, lda: m, b: y2, ldb: w,
                   beta: 1, c: grad + b.fcWeight, ldc: w)
            B.addColumnSums(rows: outRows, width: m, src: dh, stride: m, dst: grad + b.fcBias)
            B.gemm(m: outRows, n: w, k: m, a: dh, lda: m, b: theta + b.fcWeight, ldb: w, c: dy, ldc: w)
            B.layerNormBackward(rows: outRows, width: w, x: xMid, xStride: xs, stats: s2,
                                gamma: theta + b.ln2Weight, dy: dy, dyStride: w, dx: dx, dxStride: xs,
                                dGamma: grad + b.ln2Weight, dBeta: grad + b.ln2Bias)

            // Attention: dx holds ∂/∂xMid; out_proj first.
            B.gemm(transposeA: true, m: w, n: w, k: outRows, a: dx, lda: xs, b: ctx, ldb: xs,
                   beta: 1, c: grad + b.outProjWeight, ldc: w)
            B.addColumnSums(rows: outRows, width: w, src: dx, stride: xs, dst: grad + b.outProjBias)
            let dctx = dy
            B.gemm(m: outRows, n: w, k: w, a: dx, lda: xs, b: theta + b.outProjWeight, ldb: w, c: dctx, ldc: xs)
            let dS = ws.dScores.pointer
            for img in 0..<n {
                for h in 0..<heads {
                    let base = qkv + img * t * 3 * w + h * hd, dBase = dqkv + img * t * 3 * w + h * hd
                    let pr = probs + (img * heads + h) * t * t, dc = dctx + img * t * w + h * hd
                    // dP = dctx · Vᵀ, dV = Pᵀ · dctx
                    B.gemm(transposeB: true, m: qRows, n: t, k: hd, a: dc, lda: w, b: base + 2 * w, ldb: 3 * w, c: dS, ldc: t)
                    B.gemm(transposeA: true, m: t, n: hd, k: qRows, a: pr, lda: t, b: dc, ldb: w, c: dBase + 2 * w, ldc: 3 * w)
                    B.softmaxBackward(probs: pr, grad: dS, rows: qRows, n: t, scale: scale)
                    // dQ = dS · K (zero for rows without a query), dK = dSᵀ · Q
                    B.gemm(m: qRows, n: hd, k: t, a: dS, lda: t, b: base + w, ldb: 3 * w, c: dBase, ldc: 3 * w)
                    for r in qRows..<t { B.zero(dBase + r * 3 * w, count: hd) }
                    B.gemm(transposeA: true, m: t, n: hd, k: qRows, a: dS, lda: t, b: base, ldb: 3 * w, c: dBase + w, ldc: 3 * w)
                }
            }
            B.gemm(transposeA: true, m: 3 * w, n: w, k: rows, a: dqkv, lda: 3 * w, b: y1, ldb: w,
                   beta: 1, c: grad + b.inProjWeight, ldc: w)
            B.addColumnSums(rows: rows, width: 3 * w, src: dqkv, stride: 3 * w, dst: grad + b.inProjBias)
            B.gemm(m: rows, n: w, k: 3 * w, a: dqkv, lda: 3 * w, b: theta + b.inProjWeight, ldb: w, c: dy, ldc: w)
            B.layerNormBackward(rows: rows, width: w, x: x, xStride: w, stats: s1,
                                gamma: theta + b.ln1Weight, dy: dy, dyStride: w, dx: dx, dxStride: w,
                                dGamma: grad + b.ln1Weight, dBeta: grad + b.ln1Bias)
        }

        // ln_pre: dy = ∂/∂x0.
        B.zero(dy, count: rows * w)
        B.layerNormBackward(rows: rows, width: w, x: A.tokens, xStride: w,
                            stats: preStats,
                            gamma: theta + L.lnPreWeight, dy: dx, dyStride: w, dx: dy, dxStride: w,
                            dGamma: grad + L.lnPreWeight, dBeta: grad + L.lnPreBias)
        // Embeddings: class token, positional, and conv1 through the patch rows.
        let dPatches = ws.dPatches.pointer
        for img in 0..<n {
            let di = dy + img * t * w
            B.accumulate(di, into: grad + L.classEmbedding, count: w)
            B.accumulate(di, into: grad + L.positional, count: t * w)
            B.copyRows(1, width: g2 * w, from: di + w, stride: g2 * w, to: dPatches + img * g2 * w)
        }
        B.gemm(transposeA: true, m: w, n: k, k: n * g2, a: dPatches, lda: w, b: A.patches, ldb: k,
               beta: 1, c: grad + L.conv, ldc: k)
    }
}
