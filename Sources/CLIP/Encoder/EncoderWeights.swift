/// Where one residual attention block's parameters sit in a backend's memory (open_clip's
/// `transformer.resblocks.{i}.…`, the same module in the image and text towers).
package struct EncoderBlockWeights {
    package var ln1Weight, ln1Bias: UnsafePointer<Float>
    /// Fused q, k, v projection, `[3·width, width]` and `[3·width]`.
    package var inProjWeight, inProjBias: UnsafePointer<Float>
    package var outProjWeight, outProjBias: UnsafePointer<Float>
    package var ln2Weight, ln2Bias: UnsafePointer<Float>
    package var fcWeight, fcBias: UnsafePointer<Float>
    package var projWeight, projBias: UnsafePointer<Float>

    package init(ln1Weight: UnsafePointer<Float>, ln1Bias: UnsafePointer<Float>,
                 inProjWeight: UnsafePointer<Float>, inProjBias: UnsafePointer<Float>,
                 outProjWeight: UnsafePointer<Float>, outProjBias: UnsafePointer<Float>,
                 ln2Weight: UnsafePointer<Float>, ln2Bias: UnsafePointer<Float>,
                 fcWeight: UnsafePointer<Float>, fcBias: UnsafePointer<Float>,
                 projWeight: UnsafePointer<Float>, projBias: UnsafePointer<Float>) {
        self.ln1Weight = ln1Weight; self.ln1Bias = ln1Bias
        self.inProjWeight = inProjWeight; self.inProjBias = inProjBias
        self.outProjWeight = outProjWeight; self.outProjBias = outProjBias
        self.ln2Weight = ln2Weight; self.ln2Bias = ln2Bias
        self.fcWeight = fcWeight; self.fcBias = fcBias
        self.projWeight = projWeight; self.projBias = projBias
    }
}

/// Where an open_clip ViT image tower's parameters sit in a backend's memory: the weights
/// ``ViTEncoder`` reads, whoever owns them (``VisionTransformer``'s per-tensor buffers, or
/// Training's one flat trainable buffer).
package struct ViTWeights {
    /// `conv1.weight` `[width, 3·P·P]`.
    package var conv: UnsafePointer<Float>
    package var classEmbedding: UnsafePointer<Float>
    /// `[tokens, width]`.
    package var positional: UnsafePointer<Float>
    package var lnPreWeight, lnPreBias, lnPostWeight, lnPostBias: UnsafePointer<Float>
    /// `[width, outputDim]`.
    package var proj: UnsafePointer<Float>
    package var blocks: [EncoderBlockWeights]

    package init(conv: UnsafePointer<Float>, classEmbedding: UnsafePointer<Float>, positional: UnsafePointer<Float>,
                 lnPreWeight: UnsafePointer<Float>, lnPreBias: UnsafePointer<Float>,
                 lnPostWeight: UnsafePointer<Float>, lnPostBias: UnsafePointer<Float>,
                 proj: UnsafePointer<Float>, blocks: [EncoderBlockWeights]) {
        self.conv = conv; self.classEmbedding = classEmbedding; self.positional = positional
        self.lnPreWeight = lnPreWeight; self.lnPreBias = lnPreBias
        self.lnPostWeight = lnPostWeight; self.lnPostBias = lnPostBias
        self.proj = proj; self.blocks = blocks
    }
}
