/// The one forward pass of an open_clip ViT image tower, for inference and training alike, on any
/// ``ComputeBackend``.
///
/// As open_clip's `VisionTransformer.forward` in eval mode: `conv1` patch embedding (im2col + one
/// GEMM), class token, positional embedding, `ln_pre`, pre-LN residual blocks
/// `x += out_proj(MHA(ln_1(x)))`, `x += c_proj(act(c_fc(ln_2(x))))`, `ln_post` on the class token,
/// `· proj`. Only the class token leaves the encoder, so the last block computes keys and values
/// for every token but queries, `out_proj` and the MLP for the class tokens alone (the same values,
/// ~6% fewer FLOPs for ViT-B-32). ``VisionTransformer`` calls it with scratch activations; Training's
/// `TrainableViT` with activations kept per layer for its backward pass.
package enum ViTEncoder {
    /// Runs `count` images `[count, 3, S, S]` at `pixels` into `features` `[count, outputDim]`.
    package static func forward(weights W: ViTWeights, config c: VisionTransformerConfig,
                                pixels: UnsafePointer<Float>, count n: Int, activations A: ViTActivations,
                                features: UnsafeMutablePointer<Float>, backend B: some ComputeBackend) {
        let w = c.width, t = c.tokens, g2 = c.gridSize * c.gridSize, kdim = 3 * c.patchSize * c.patchSize
        let rows = n * t
        B.im2col(pixels: pixels, images: n, imageSize: c.imageSize, patchSize: c.patchSize, into: A.patches)
        B.gemm(transposeB: true, m: n * g2, n: w, k: kdim, a: A.patches, lda: kdim, b: W.conv, ldb: kdim,
               c: A.patchRows, ldc: w)
        B.embedTokens(patchRows: A.patchRows, classEmbedding: W.classEmbedding, positional: W.positional,
                      images: n, tokens: t, width: w, into: A.tokens)
        B.layerNorm(rows: rows, width: w, src: A.tokens, srcStride: w, dst: A.layers.first?.input ?? A.output, dstStride: w,
                    gamma: W.lnPreWeight, beta: W.lnPreBias, stats: A.preStats)
        for (l, b) in W.blocks.enumerated() {
            block(b, A.layers[l], images: n, config: c, classTokenOnly: l == W.blocks.count - 1, backend: B)
        }
        B.layerNorm(rows: n, width: w, src: A.output, srcStride: t * w, dst: A.pooled, dstStride: w,
                    gamma: W.lnPostWeight, beta: W.lnPostBias, stats: A.postStats)
        B.gemm(m: n, n: c.outputDim, k: w, a: A.pooled, lda: w, b: W.proj, ldb: c.outputDim, c: features, ldc: c.outputDim)
    }

    /// One residual block over `images` images; with `classTokenOnly` (the last block) queries,
    /// attention, `out_proj` and the MLP run for the class rows alone.
    static func block(_ b: EncoderBlockWeights, _ L: ViTLayerActivations, images n: Int, config c: VisionTransformerConfig,
                      classTokenOnly: Bool, backend B: some ComputeBackend) {
        let w = c.width, t = c.tokens, rows = n * t
        B.layerNorm(rows: rows, width: w, src: L.input, srcStride: w, dst: L.ln1, dstStride: w,
                    gamma: b.ln1Weight, beta: b.ln1Bias, stats: L.ln1Stats)
        B.fillRows(L.qkv, rows: rows, width: 3 * w, bias: b.inProjBias)
        if classTokenOnly {
            B.gemm(transposeB: true, m: rows, n: 2 * w, k: w, a: L.ln1, lda: w, b: b.inProjWeight + w * w, ldb: w,
                   beta: 1, c: L.qkv + w, ldc: 3 * w)
            B.gemm(transposeB: true, m: n, n: w, k: w, a: L.ln1, lda: t * w, b: b.inProjWeight, ldb: w,
                   beta: 1, c: L.qkv, ldc: t * 3 * w)
        } else {
            B.gemm(transposeB: true, m: rows, n: 3 * w, k: w, a: L.ln1, lda: w, b: b.inProjWeight, ldb: w,
                   beta: 1, c: L.qkv, ldc: 3 * w)
        }
        B.attention(AttentionProblem(qkv: L.qkv, images: n, tokens: t, width: w, heads: c.heads,
                                     queries: classTokenOnly ? 1 : t, scores: L.scores, context: L.context))
        let stride = classTokenOnly ? t * w : w
        EncoderBlock.outputAndMLP(b, rows: classTokenOnly ? n : rows, width: w, mlpWidth: c.mlpWidth, activation: c.activation,
                                  input: L.input, mid: L.mid, output: L.output, stride: stride,
                                  context: L.context, contextStride: stride, ln2: L.ln2, ln2Stats: L.ln2Stats,
                                  hiddenPre: L.hiddenPre, hiddenAct: L.hiddenAct, backend: B)
    }
}

/// The half of a residual attention block after attention, shared by the image and text towers.
package enum EncoderBlock {
    /// `mid = input + out_proj(context)`, `output = mid + c_proj(act(c_fc(ln_2(mid))))` over `rows`
    /// rows `stride` apart (`mid` may be `input`, `output` may be `mid`: in place); the context of row
    /// `r` at `context + r · contextStride`; `ln2` `[rows, width]` (may be `context`), `hiddenPre`
    /// and `hiddenAct` `[rows, mlpWidth]` (may be one buffer).
    package static func outputAndMLP(_ b: EncoderBlockWeights, rows: Int, width w: Int, mlpWidth mlp: Int, activation: Activation,
                                     input: UnsafeMutablePointer<Float>, mid: UnsafeMutablePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, stride: Int,
                                     context: UnsafeMutablePointer<Float>, contextStride: Int,
                                     ln2: UnsafeMutablePointer<Float>, ln2Stats: LayerNormStats?,
                                     hiddenPre: UnsafeMutablePointer<Float>, hiddenAct: UnsafeMutablePointer<Float>,
                                     backend B: some ComputeBackend) {
        B.copyRows(rows, width: w, from: input, stride: stride, to: mid)
        B.gemm(transposeB: true, m: rows, n: w, k: w, a: context, lda: contextStride, b: b.outProjWeight, ldb: w,
               beta: 1, c: mid, ldc: stride)
        B.addRows(mid, rows: rows, width: w, stride: stride, bias: b.outProjBias)
        B.layerNorm(rows: rows, width: w, src: mid, srcStride: stride, dst: ln2, dstStride: w,
                    gamma: b.ln2Weight, beta: b.ln2Bias, stats: ln2Stats)
        B.fillRows(hiddenPre, rows: rows, width: mlp, bias: b.fcBias)
        B.gemm(transposeB: true, m: rows, n: mlp, k: w, a: ln2, lda: w, b: b.fcWeight, ldb: w, beta: 1, c: hiddenPre, ldc: mlp)
        B.activation(activation, src: hiddenPre, dst: hiddenAct, count: rows * mlp)
        B.copyRows(rows, width: w, from: mid, stride: stride, to: output)
        B.gemm(transposeB: true, m: rows, n: w, k: mlp, a: hiddenAct, lda: mlp, b: b.projWeight, ldb: mlp,
               beta: 1, c: output, ldc: stride)
        B.addRows(output, rows: rows, width: w, stride: stride, bias: b.projBias)
    }
}
