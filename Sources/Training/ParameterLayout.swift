import CLIP

/// The trainable tensors of an open_clip ViT image tower packed into one flat buffer, in the
/// order of `VisionTransformer.state_dict()` (class embedding, positional embedding, `proj`,
/// `conv1`, `ln_pre`, the blocks, `ln_post`).
///
/// Names are open_clip's without prefix (`transformer.resblocks.0.attn.in_proj_weight`); the
/// weights, gradients and AdamW moments all share this layout, so the optimiser and the
/// gradient-norm clipping run over one contiguous array.
public struct ParameterLayout: Sendable, Equatable {
    /// One named tensor in the flat buffer.
    public struct Entry: Sendable, Equatable {
        /// open_clip name, without the `visual.` prefix.
        public var name: String
        /// Shape.
        public var shape: [Int]
        /// First element in the flat buffer.
        public var offset: Int
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// Offsets of one residual block's tensors.
    struct Block: Sendable, Equatable {
        var ln1Weight = 0, ln1Bias = 0, inProjWeight = 0, inProjBias = 0, outProjWeight = 0, outProjBias = 0
        var ln2Weight = 0, ln2Bias = 0, fcWeight = 0, fcBias = 0, projWeight = 0, projBias = 0
    }

    /// The tensors, in state-dict order.
    public let entries: [Entry]
    /// Total number of scalars.
    public let count: Int

    var classEmbedding = 0, positional = 0, proj = 0, conv = 0
    var lnPreWeight = 0, lnPreBias = 0, lnPostWeight = 0, lnPostBias = 0
    var blocks: [Block] = []

    /// The layout of a tower of shape `config`.
    public init(config c: VisionTransformerConfig) {
        var entries: [Entry] = []
        var next = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let e = Entry(name: name, shape: shape, offset: next)
            entries.append(e)
            next += e.count
            return e.offset
        }
        let w = c.width, p = c.patchSize, m = c.mlpWidth
        classEmbedding = add("class_embedding", [w])
        positional = add("positional_embedding", [c.tokens, w])
        proj = add("proj", [w, c.outputDim])
        conv = add("conv1.weight", [w, 3, p, p])
        lnPreWeight = add("ln_pre.weight", [w])
        lnPreBias = add("ln_pre.bias", [w])
        for i in 0..<c.layers {
            let b = "transformer.resblocks.\(i)."
            var o = Block()
            o.ln1Weight = add(b + "ln_1.weight", [w]); o.ln1Bias = add(b + "ln_1.bias", [w])
            o.inProjWeight = add(b + "attn.in_proj_weight", [3 * w, w]); o.inProjBias = add(b + "attn.in_proj_bias", [3 * w])
            o.outProjWeight = add(b + "attn.out_proj.weight", [w, w]); o.outProjBias = add(b + "attn.out_proj.bias", [w])
            o.ln2Weight = add(b + "ln_2.weight", [w]); o.ln2Bias = add(b + "ln_2.bias", [w])
            o.fcWeight = add(b + "mlp.c_fc.weight", [m, w]); o.fcBias = add(b + "mlp.c_fc.bias", [m])
            o.projWeight = add(b + "mlp.c_proj.weight", [w, m]); o.projBias = add(b + "mlp.c_proj.bias", [w])
            blocks.append(o)
        }
        lnPostWeight = add("ln_post.weight", [w])
        lnPostBias = add("ln_post.bias", [w])
        self.entries = entries
        self.count = next
    }

    /// The entry named `name` (open_clip name without prefix), if any.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
}
