/// The parameters of one residual attention block, `transformer.resblocks.{i}.` in open_clip
/// (the image tower's and the text tower's blocks are the same module).
struct ResidualAttentionBlock: Sendable {
    let ln1Weight, ln1Bias: FloatBuffer
    /// Fused q, k, v projection, [3·width, width] and [3·width].
    let inProjWeight, inProjBias: FloatBuffer
    let outProjWeight, outProjBias: FloatBuffer
    let ln2Weight, ln2Bias: FloatBuffer
    let fcWeight, fcBias: FloatBuffer
    let projWeight, projBias: FloatBuffer

    /// Loads block `index` through `read`, which maps an open_clip name without prefix
    /// (`transformer.resblocks.0.ln_1.weight`) to its values.
    init(index: Int, read: (String) throws -> FloatBuffer) throws {
        func load(_ key: String) throws -> FloatBuffer {
            try read("transformer.resblocks.\(index)." + key)
        }
        ln1Weight = try load("ln_1.weight"); ln1Bias = try load("ln_1.bias")
        inProjWeight = try load("attn.in_proj_weight"); inProjBias = try load("attn.in_proj_bias")
        outProjWeight = try load("attn.out_proj.weight"); outProjBias = try load("attn.out_proj.bias")
        ln2Weight = try load("ln_2.weight"); ln2Bias = try load("ln_2.bias")
        fcWeight = try load("mlp.c_fc.weight"); fcBias = try load("mlp.c_fc.bias")
        projWeight = try load("mlp.c_proj.weight"); projBias = try load("mlp.c_proj.bias")
    }

    /// Where the parameters sit, for ``ViTEncoder`` and ``EncoderBlock``.
    var weights: EncoderBlockWeights {
        EncoderBlockWeights(ln1Weight: ln1Weight.pointer, ln1Bias: ln1Bias.pointer,
                            inProjWeight: inProjWeight.pointer, inProjBias: inProjBias.pointer,
                            outProjWeight: outProjWeight.pointer, outProjBias: outProjBias.pointer,
                            ln2Weight: ln2Weight.pointer, ln2Bias: ln2Bias.pointer,
                            fcWeight: fcWeight.pointer, fcBias: fcBias.pointer,
                            projWeight: projWeight.pointer, projBias: projBias.pointer)
    }

    /// Every tensor of block `index` (open_clip name, no prefix) and its shape.
    static func expectedShapes(index: Int, width w: Int, mlpWidth mlp: Int) -> [(String, [Int])] {
        let b = "transformer.resblocks.\(index)."
        return [
            (b + "ln_1.weight", [w]), (b + "ln_1.bias", [w]),
            (b + "attn.in_proj_weight", [3 * w, w]), (b + "attn.in_proj_bias", [3 * w]),
            (b + "attn.out_proj.weight", [w, w]), (b + "attn.out_proj.bias", [w]),
            (b + "ln_2.weight", [w]), (b + "ln_2.bias", [w]),
            (b + "mlp.c_fc.weight", [mlp, w]), (b + "mlp.c_fc.bias", [mlp]),
            (b + "mlp.c_proj.weight", [w, mlp]), (b + "mlp.c_proj.bias", [w]),
        ]
    }
}
