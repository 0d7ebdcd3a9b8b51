import Tensors

extension VisionTransformerWorkspace {
    /// The workspace region of images `first...` for worker `slot` (or all slots when `nil`), as
    /// the scratch activations of ``ViTEncoder``: one residual stream updated in place, `ln_1`'s
    /// output, the context and `ln_2`'s output in `y`, the MLP activated in place in `hidden`.
    func activations(firstImage a: Int, slot: Int?, config c: VisionTransformerConfig) -> ViTActivations {
        let t = c.tokens, w = c.width, g2 = c.gridSize * c.gridSize, kdim = 3 * c.patchSize * c.patchSize
        let x = x.pointer + a * t * w, y = y.pointer + a * t * w, hidden = hidden.pointer + a * t * c.mlpWidth
        let layer = ViTLayerActivations(
            input: x, ln1: y, ln1Stats: nil, qkv: qkv.pointer + a * t * 3 * w,
            scores: .scratch(scores.pointer + (slot ?? 0) * t * t, slots: slot == nil ? slots : 1),
            context: y, mid: x, ln2: y, ln2Stats: nil, hiddenPre: hidden, hiddenAct: hidden, output: x)
        return ViTActivations(patches: patches.pointer + a * g2 * kdim, patchRows: patchOut.pointer + a * g2 * w, tokens: x,
                              preStats: nil, layers: Array(repeating: layer, count: c.layers), output: x,
                              pooled: pooled.pointer + a * w, postStats: nil)
    }
}

extension VisionTransformer {
    /// Where the weights sit, for ``ViTEncoder``.
    var weights: ViTWeights {
        ViTWeights(conv: conv.pointer, classEmbedding: classEmbedding.pointer, positional: positional.pointer,
                   lnPreWeight: lnPreWeight.pointer, lnPreBias: lnPreBias.pointer,
                   lnPostWeight: lnPostWeight.pointer, lnPostBias: lnPostBias.pointer,
                   proj: proj.pointer, blocks: blocks.map(\.weights))
    }

    /// Runs one batch: `count` images at `pixels` ([count, 3, S, S]) into `features` ([count, D]).
    ///
    /// Allocates nothing but a few pointer tables: all intermediates live in `workspace`.
    /// - Precondition: `count <= workspace.batchCapacity` and the workspace was made for `config`.
    public func forward(pixels: UnsafePointer<Float>, count n: Int,
                        features: UnsafeMutablePointer<Float>, workspace ws: VisionTransformerWorkspace) {
        precondition(n <= ws.batchCapacity && ws.config.tokens == config.tokens && ws.config.width == config.width
                     && ws.config.mlpWidth == config.mlpWidth, "workspace does not fit this batch")
        guard n > 0 else { return }
        let perImage = 3 * config.imageSize * config.imageSize, d = config.outputDim
        let groups = min(n, ws.slots), weights = weights
        if parallelism == .splitBatch && groups > 1 {
            BLASThreads.singleThreaded {
                Parallel.forEach(groups) { g in
                    let a = g * n / groups, b = (g + 1) * n / groups
                    ViTEncoder.forward(weights: weights, config: config, pixels: pixels + a * perImage, count: b - a,
                                       activations: ws.activations(firstImage: a, slot: g, config: config),
                                       features: features + a * d, backend: CPUBackend(parallel: false))
                }
            }
        } else {
            BLASThreads.useAllThreads()
            ViTEncoder.forward(weights: weights, config: config, pixels: pixels, count: n,
                               activations: ws.activations(firstImage: 0, slot: nil, config: config),
                               features: features, backend: CPUBackend(parallel: true))
        }
    }
}
