/// Where a ``ViTEncoder`` forward pass puts its intermediates for one group of images.
///
/// Inference points every layer at the same few scratch buffers (the residual stream updated in
/// place, `ln_1`'s output, the context and `ln_2`'s output sharing one buffer, the MLP activated
/// in place) and saves no statistics; training gives each layer its own slices and statistics, so
/// its backward pass finds every activation. The forward pass is the same code either way.
package struct ViTActivations {
    /// `[images · grid², 3·P²]` im2col of the pixels.
    package var patches: UnsafeMutablePointer<Float>
    /// `[images · grid², width]` patch embeddings.
    package var patchRows: UnsafeMutablePointer<Float>
    /// `[images · tokens, width]` tokens before `ln_pre` (may be ``layers``[0].input: in place).
    package var tokens: UnsafeMutablePointer<Float>
    package var preStats: LayerNormStats?
    /// One entry per block.
    package var layers: [ViTLayerActivations]
    /// The stream leaving the last block, `[images · tokens, width]`.
    package var output: UnsafeMutablePointer<Float>
    /// `[images, width]` `ln_post` of the class tokens.
    package var pooled: UnsafeMutablePointer<Float>
    package var postStats: LayerNormStats?

    package init(patches: UnsafeMutablePointer<Float>, patchRows: UnsafeMutablePointer<Float>, tokens: UnsafeMutablePointer<Float>,
                 preStats: LayerNormStats?, layers: [ViTLayerActivations], output: UnsafeMutablePointer<Float>,
                 pooled: UnsafeMutablePointer<Float>, postStats: LayerNormStats?) {
        self.patches = patches; self.patchRows = patchRows; self.tokens = tokens; self.preStats = preStats
        self.layers = layers; self.output = output; self.pooled = pooled; self.postStats = postStats
    }
}

/// One block's intermediates. Rows are `[images · tokens, …]`; in the last block (class token
/// only) `mid` and the output keep the class rows in place (`tokens · width` apart) while `ln2`,
/// `hiddenPre` and `hiddenAct` hold them compacted.
package struct ViTLayerActivations {
    /// The stream entering the block (the previous block's `output`).
    package var input: UnsafeMutablePointer<Float>
    /// `ln_1(input)`.
    package var ln1: UnsafeMutablePointer<Float>
    package var ln1Stats: LayerNormStats?
    /// `[rows, 3·width]` fused q, k, v.
    package var qkv: UnsafeMutablePointer<Float>
    package var scores: AttentionProblem.Scores
    /// The attention context, `[rows, width]` (may be `ln1`).
    package var context: UnsafeMutablePointer<Float>
    /// `input + out_proj(context)` (may be `input`).
    package var mid: UnsafeMutablePointer<Float>
    /// `ln_2(mid)` (may be `context`).
    package var ln2: UnsafeMutablePointer<Float>
    package var ln2Stats: LayerNormStats?
    /// `c_fc(ln2)` and its activation (may be the same buffer).
    package var hiddenPre, hiddenAct: UnsafeMutablePointer<Float>
    /// `mid + c_proj(hiddenAct)`: the next block's input (may be `mid`).
    package var output: UnsafeMutablePointer<Float>

    package init(input: UnsafeMutablePointer<Float>, ln1: UnsafeMutablePointer<Float>, ln1Stats: LayerNormStats?,
                 qkv: UnsafeMutablePointer<Float>, scores: AttentionProblem.Scores, context: UnsafeMutablePointer<Float>,
                 mid: UnsafeMutablePointer<Float>, ln2: UnsafeMutablePointer<Float>, ln2Stats: LayerNormStats?,
                 hiddenPre: UnsafeMutablePointer<Float>, hiddenAct: UnsafeMutablePointer<Float>,
                 output: UnsafeMutablePointer<Float>) {
        self.input = input; self.ln1 = ln1; self.ln1Stats = ln1Stats; self.qkv = qkv; self.scores = scores
        self.context = context; self.mid = mid; self.ln2 = ln2; self.ln2Stats = ln2Stats
        self.hiddenPre = hiddenPre; self.hiddenAct = hiddenAct; self.output = output
    }
}
