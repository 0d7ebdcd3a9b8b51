import Checkpoints
import Foundation
import Tensors

/// An open_clip CLIP text encoder (`CLIP.encode_text`), loaded from a checkpoint and run on BLAS.
///
/// Forward pass, as open_clip in eval mode: `token_embedding[ids] + positional_embedding`,
/// `layers` residual blocks with a causal mask (token `i` attends to tokens `0…i`), `ln_final`,
/// the feature at the end-of-text token (`argmax` of the ids: the first position of the highest
/// id) and `· text_projection`. Since attention is causal, the end token's feature depends only
/// on the tokens up to it: each text runs over its first `eot + 1` positions, not the whole context
/// (same values; ~5× fewer FLOPs for prompt-length texts). Texts are packed without padding, one
/// sgemm per linear layer over all of a sub-batch's rows, one sub-batch per core.
///
/// Tensors are read under open_clip's names with any prefix (`model.`, none):
/// `token_embedding.weight`, `positional_embedding`, `transformer.resblocks.{i}.…`,
/// `ln_final.{weight,bias}`, `text_projection`, and `logit_scale` when present; or under Hugging
/// Face `transformers` names (`CLIPModel`, `CLIPTextModelWithProjection`): `text_model.embeddings.…`,
/// `encoder.layers.{i}.self_attn.{q,k,v}_proj` (fused here), `final_layer_norm`, and
/// `text_projection.weight` [D, W] (transposed here).
///
/// Parity: features agree with open_clip 3.3 (float32, CPU) within 1e-4 of the feature norm.
public struct TextTransformer: Sendable {
    /// Shape and activation of the encoder.
    public let config: TextTransformerConfig
    /// How the file names the tower's tensors.
    public let naming: VisionTransformerLayout.Naming
    /// The key prefix of the tower, e.g. `model.`, empty, or `text_model.` (Hugging Face).
    public let prefix: String
    /// The checkpoint it was loaded from.
    public let source: URL
    /// `logit_scale` (log of the logit temperature, ln 100 for OpenAI CLIP) when the checkpoint has it.
    public let logitScale: Float?

    let tokenEmbedding: FloatBuffer  // [V, W]
    let positional: FloatBuffer      // [C, W]
    let lnFinalWeight, lnFinalBias: FloatBuffer
    let projection: FloatBuffer      // [W, D]
    let blocks: [ResidualAttentionBlock]

    /// Opens `url` (any format ``Checkpoint/open(_:)`` reads) and loads its text tower.
    /// - Parameters:
    ///   - activation: MLP nonlinearity; QuickGELU for the reference's OpenAI weights (spec §4.1).
    ///   - heads: head count; default `width / 64` as open_clip.
    /// - Throws: ``CLIPError`` when the file holds no text tower or a shape disagrees, and
    ///   ``CheckpointError`` when the file cannot be read.
    public init(checkpoint url: URL, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        try self.init(reader: try Checkpoint.open(url), activation: activation, heads: heads)
    }

    /// Loads the text tower of an opened checkpoint (open_clip or Hugging Face naming).
    public init(reader: any CheckpointReader, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        let path = reader.url.path
        var shapes: [String: [Int]] = [:]
        for t in reader.tensors { shapes[t.name] = t.shape }
        func prefixes(_ suffix: String, _ sibling: String) -> [String] {
            shapes.keys.filter { $0.hasSuffix(suffix) }
                .map { String($0.dropLast(suffix.count)) }
                .filter { ($0.isEmpty || $0.hasSuffix(".")) && shapes[$0 + sibling] != nil }
                .sorted { $0.count < $1.count }
        }
        let naming: VisionTransformerLayout.Naming, prefix: String, parent: String
        if let p = prefixes("token_embedding.weight", "transformer.resblocks.0.attn.in_proj_weight").first {
            (naming, prefix, parent) = (.openCLIP, p, p)
        } else if let p = prefixes("embeddings.token_embedding.weight", "encoder.layers.0.self_attn.q_proj.weight").first {
            (naming, prefix) = (.huggingFace, p)
            parent = p.hasSuffix("text_model.") ? String(p.dropLast("text_model.".count)) : p
        } else {
            let hint = shapes.keys.contains { $0.hasSuffix("visual.conv1.weight") }
                ? " (it holds an image tower only: the reference's encoders drop the text transformer; use the pre-trained CLIP model)" : ""
            throw CLIPError.notATextTransformer(
                path: path, reason: "found no 'token_embedding.weight' with 'transformer.resblocks.0.attn.in_proj_weight' beside it (open_clip) nor 'text_model.embeddings.token_embedding.weight' (transformers) among its \(shapes.count) tensors\(hint)")
        }
        /// The file's keys of an open_clip tensor name, and whether the file stores it transposed.
        func physical(_ logical: String) -> (keys: [String], transposed: Bool) {
            guard naming == .huggingFace else { return ([prefix + logical], false) }
            switch logical {
            case "token_embedding.weight": return ([prefix + "embeddings.token_embedding.weight"], false)
            case "positional_embedding": return ([prefix + "embeddings.position_embedding.weight"], false)
            case "ln_final.weight", "ln_final.bias": return ([prefix + "final_layer_norm." + logical.dropFirst("ln_final.".count)], false)
            case "text_projection": return ([parent + "text_projection.weight"], true)
            case "logit_scale": return ([parent + "logit_scale"], false)
            default: return (_HuggingFaceCLIPNames.blockKeys(logical, prefix: prefix), false)
            }
        }
        func shape(_ logical: String) throws -> [Int] {
            let (keys, transposed) = physical(logical)
            return try _HuggingFaceCLIPNames.logicalShape(keys, transposed: transposed, shapes: shapes, path: path)
        }
        func key(_ logical: String) -> String { physical(logical).keys[0] }
        let embedding = try shape("token_embedding.weight")
        guard embedding.count == 2, embedding[0] > 0, embedding[1] > 0 else {
            throw CLIPError.notATextTransformer(path: path, reason: "'\(key("token_embedding.weight"))' has shape \(embedding), not [vocabulary, width]")
        }
        let width = embedding[1]
        let positional = try shape("positional_embedding")
        guard positional.count == 2, positional[1] == width, positional[0] > 0 else {
            throw CLIPError.shapeMismatch(path: path, tensor: key("positional_embedding"), expected: [positional.first ?? 77, width], found: positional)
        }
        var layers = 0
        while (try? shape("transformer.resblocks.\(layers).attn.out_proj.weight")) != nil { layers += 1 }
        let projection = try shape("text_projection")
        guard projection.count == 2, projection[0] == width else {
            throw CLIPError.shapeMismatch(path: path, tensor: key("text_projection"), expected: [width, projection.last ?? 0], found: projection)
        }
        let fc = try shape("transformer.resblocks.0.mlp.c_fc.weight")
        let h = heads ?? max(1, width / 64)
        guard h > 0, width % h == 0 else {
            throw CLIPError.notATextTransformer(path: path, reason: "width \(width) does not split into \(h) heads")
        }
        let config = TextTransformerConfig(vocabularySize: embedding[0], contextLength: positional[0], width: width,
                                           layers: layers, heads: h, mlpWidth: fc.first ?? 4 * width,
                                           outputDim: projection[1], activation: activation)
        // Every tensor the forward pass reads must be present with the configured shape.
        for (logical, expected) in Self.expectedShapes(config) {
            let (keys, transposed) = physical(logical)
            for k in keys {
                guard let found = shapes[k] else { throw CLIPError.missingTensor(path: path, tensor: k) }
                let want = _HuggingFaceCLIPNames.physicalShape(expected: expected, parts: keys.count, transposed: transposed)
                guard found == want else { throw CLIPError.shapeMismatch(path: path, tensor: k, expected: want, found: found) }
            }
        }
        func read(_ logical: String) throws -> [Float] {
            let (keys, transposed) = physical(logical)
            return try _HuggingFaceCLIPNames.read(keys, transposed: transposed, from: reader)
        }
        self.config = config
        self.naming = naming
        self.prefix = prefix
        self.source = reader.url
        func load(_ logical: String) throws -> FloatBuffer {
            let (keys, transposed) = physical(logical)
            return try _HuggingFaceCLIPNames.load(keys, transposed: transposed, from: reader)
        }
        self.logitScale = (try? shape("logit_scale")).flatMap { $0.reduce(1, *) == 1 ? (try? read("logit_scale"))?.first : nil }
        tokenEmbedding = try load("token_embedding.weight")
        self.positional = try load("positional_embedding")
        lnFinalWeight = try load("ln_final.weight")
        lnFinalBias = try load("ln_final.bias")
        self.projection = try load("text_projection")
        blocks = try (0..<layers).map { try ResidualAttentionBlock(index: $0, read: load) }
    }

    /// Every tensor of the tower (open_clip name, no prefix) and the shape the configuration requires.
    static func expectedShapes(_ c: TextTransformerConfig) -> [(String, [Int])] {
        let w = c.width
        var out: [(String, [Int])] = [
            ("token_embedding.weight", [c.vocabularySize, w]), ("positional_embedding", [c.contextLength, w]),
            ("ln_final.weight", [w]), ("ln_final.bias", [w]), ("text_projection", [w, c.outputDim]),
        ]
        for i in 0..<c.layers { out += ResidualAttentionBlock.expectedShapes(index: i, width: w, mlpWidth: c.mlpWidth) }
        return out
    }
}
