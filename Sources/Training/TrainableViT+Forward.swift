import CLIP
import Tensors

extension TrainingWorkspace {
    /// The activations of a forward pass over `n` images, as ``ViTEncoder`` fills them and the
    /// backward pass reads them: every layer's input, `ln_1` output, q/k/v, probabilities, context,
    /// residual midpoint, `ln_2` output, MLP pre- and post-activation and LayerNorm statistics in
    /// its own slice (`[L, n·T, …]`, statistics `[L, 2, n·T]`).
    func activations(count n: Int) -> ViTActivations {
        let c = config, w = c.width, t = c.tokens, rows = n * t, m = c.mlpWidth
        let layers = (0..<c.layers).map { l in
            ViTLayerActivations(
                input: xIn.pointer + l * rows * w, ln1: y1.pointer + l * rows * w,
                ln1Stats: LayerNormStats(ln1Stats.pointer + l * 2 * rows, rows: rows),
                qkv: qkv.pointer + l * rows * 3 * w, scores: .kept(probs.pointer + l * n * c.heads * t * t),
                context: ctx.pointer + l * rows * w, mid: xMid.pointer + l * rows * w, ln2: y2.pointer + l * rows * w,
                ln2Stats: LayerNormStats(ln2Stats.pointer + l * 2 * rows, rows: rows),
                hiddenPre: hPre.pointer + l * rows * m, hiddenAct: hAct.pointer + l * rows * m,
                output: xIn.pointer + (l + 1) * rows * w)
        }
        // The patch embeddings need no keeping: they live in dPatches until the backward pass's end.
        return ViTActivations(patches: patches.pointer, patchRows: dPatches.pointer, tokens: x0.pointer,
                              preStats: LayerNormStats(preStats.pointer, rows: rows), layers: layers,
                              output: xIn.pointer + c.layers * rows * w, pooled: pooled.pointer,
                              postStats: LayerNormStats(postStats.pointer, rows: n))
    }
}

extension TrainableViT {
    /// Where θ's tensors sit in ``weights``, for ``ViTEncoder``.
    var encoderWeights: ViTWeights {
        let theta = UnsafePointer(weights.pointer), L = layout
        return ViTWeights(
            conv: theta + L.conv, classEmbedding: theta + L.classEmbedding, positional: theta + L.positional,
            lnPreWeight: theta + L.lnPreWeight, lnPreBias: theta + L.lnPreBias,
            lnPostWeight: theta + L.lnPostWeight, lnPostBias: theta + L.lnPostBias, proj: theta + L.proj,
            blocks: L.blocks.map { b in
                EncoderBlockWeights(ln1Weight: theta + b.ln1Weight, ln1Bias: theta + b.ln1Bias,
                                    inProjWeight: theta + b.inProjWeight, inProjBias: theta + b.inProjBias,
                                    outProjWeight: theta + b.outProjWeight, outProjBias: theta + b.outProjBias,
                                    ln2Weight: theta + b.ln2Weight, ln2Bias: theta + b.ln2Bias,
                                    fcWeight: theta + b.fcWeight, fcBias: theta + b.fcBias,
                                    projWeight: theta + b.projWeight, projBias: theta + b.projBias)
            })
    }

    /// Runs `n` images `[n, 3, S, S]` through the tower on the calling thread (single-threaded
    /// BLAS expected), keeping every activation the backward pass needs in `ws`; the features
    /// `[n, outputDim]` end up in `ws.features`.
    ///
    /// The very forward pass of `CLIP.VisionTransformer` (``ViTEncoder``), with activations kept
    /// per layer (``TrainingWorkspace/activations(count:)``) instead of scratch; as there, the last
    /// block computes queries, `out_proj` and the MLP for the class tokens only (the rest never
    /// reaches the loss).
    /// - Precondition: `n <= ws.capacity` and `ws` was made for this configuration.
    func forward(pixels: UnsafePointer<Float>, count n: Int, workspace ws: TrainingWorkspace) {
        precondition(n <= ws.capacity && ws.config == config, "TrainableViT.forward: workspace does not fit")
        ViTEncoder.forward(weights: encoderWeights, config: config, pixels: pixels, count: n,
                           activations: ws.activations(count: n), features: ws.features.pointer,
                           backend: CPUBackend(parallel: false))
    }
}
