import Checkpoints
import Foundation

/// Where an open_clip ViT image tower sits in a checkpoint and what shape it has.
///
/// Accepts the reference layout (`model.visual.conv1.weight`, as `ImageEncoder.state_dict()`
/// saves it), a bare CLIP state dict (`visual.…`), any other prefix ending in `visual.`, and a bare
/// `VisionTransformer` state dict (`conv1.weight`).
public struct VisionTransformerLayout: Sendable, Equatable {
    /// The key prefix before `conv1.weight`, e.g. `model.visual.`.
    public var prefix: String
    /// The configuration read off the shapes.
    public var config: VisionTransformerConfig

    /// Detects the tower and its configuration from tensor names and shapes alone.
    /// - Parameters:
    ///   - reader: an opened checkpoint; no tensor data is read.
    ///   - activation: the MLP nonlinearity (not recorded in a state dict).
    ///   - heads: head count override; default `width / 64` as in open_clip.
    /// - Throws: ``CLIPError/notAVisionTransformer(path:reason:)`` or
    ///   ``CLIPError/shapeMismatch(path:tensor:expected:found:)``.
    public init(reader: any CheckpointReader, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        let path = reader.url.path
        var shapes: [String: [Int]] = [:]
        for t in reader.tensors { shapes[t.name] = t.shape }
        let candidates = shapes.keys.filter { $0.hasSuffix("conv1.weight") }
            .map { String($0.dropLast("conv1.weight".count)) }
            .filter { $0.isEmpty || $0.hasSuffix("visual.") || $0.hasSuffix(".") }
            .filter { shapes[$0 + "transformer.resblocks.0.attn.in_proj_weight"] != nil }
            .sorted { ($0.hasSuffix("visual.") ? 0 : 1, $0.count) < ($1.hasSuffix("visual.") ? 0 : 1, $1.count) }
        guard let prefix = candidates.first else {
            let example = reader.tensors.first.map { " (first key: '\($0.name)')" } ?? ""
            let hint = shapes.keys.contains { $0.hasPrefix("vision_model.") }
                ? "Hugging Face transformers CLIP naming is not supported yet; convert with open_clip"
                : "found no 'visual.conv1.weight' with 'visual.transformer.resblocks.0.attn.in_proj_weight' among its \(shapes.count) tensors\(example)"
            throw CLIPError.notAVisionTransformer(path: path, reason: hint)
        }
        func shape(_ key: String) throws -> [Int] {
            guard let s = shapes[prefix + key] else { throw CLIPError.missingTensor(path: path, tensor: prefix + key) }
            return s
        }
        let conv = try shape("conv1.weight")
        guard conv.count == 4, conv[1] == 3, conv[2] == conv[3], conv[2] > 0, conv[0] > 0 else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "'\(prefix)conv1.weight' has shape \(conv), not [width, 3, patch, patch]")
        }
        let width = conv[0], patch = conv[2]
        var layers = 0
        while shapes[prefix + "transformer.resblocks.\(layers).attn.in_proj_weight"] != nil { layers += 1 }
        let pos = try shape("positional_embedding")
        let grid = Int(Double(max(0, (pos.first ?? 1) - 1)).squareRoot().rounded())
        guard pos.count == 2, pos[1] == width, grid > 0, grid * grid + 1 == pos[0] else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "'\(prefix)positional_embedding' has shape \(pos), not [grid² + 1, \(width)] for a square patch grid")
        }
        let proj = try shape("proj")
        guard proj.count == 2, proj[0] == width else {
            throw CLIPError.shapeMismatch(path: path, tensor: prefix + "proj", expected: [width, proj.last ?? 0], found: proj)
        }
        let fc = try shape("transformer.resblocks.0.mlp.c_fc.weight")
        guard fc.count == 2, fc[1] == width else {
            throw CLIPError.shapeMismatch(path: path, tensor: prefix + "transformer.resblocks.0.mlp.c_fc.weight", expected: [fc.first ?? 0, width], found: fc)
        }
        let h = heads ?? max(1, width / 64)
        guard h > 0, width % h == 0 else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "width \(width) does not split into \(h) heads")
        }
        self.prefix = prefix
        self.config = VisionTransformerConfig(width: width, layers: layers, heads: h, patchSize: patch,
                                              imageSize: grid * patch, mlpWidth: fc[0], outputDim: proj[1],
                                              activation: activation)
        // Every tensor the forward pass reads must be present with the configured shape.
        for (key, expected) in expectedShapes {
            let found = try shape(key)
            guard found == expected else {
                throw CLIPError.shapeMismatch(path: path, tensor: prefix + key, expected: expected, found: found)
            }
        }
    }

    /// Every tensor of the tower (without prefix) and the shape the configuration requires.
    public var expectedShapes: [(String, [Int])] {
        let c = config, w = c.width, p = c.patchSize
        var out: [(String, [Int])] = [
            ("conv1.weight", [w, 3, p, p]), ("class_embedding", [w]), ("positional_embedding", [c.tokens, w]),
            ("ln_pre.weight", [w]), ("ln_pre.bias", [w]), ("ln_post.weight", [w]), ("ln_post.bias", [w]),
            ("proj", [w, c.outputDim]),
        ]
        for i in 0..<c.layers {
            let b = "transformer.resblocks.\(i)."
            out += [
                (b + "ln_1.weight", [w]), (b + "ln_1.bias", [w]),
                (b + "attn.in_proj_weight", [3 * w, w]), (b + "attn.in_proj_bias", [3 * w]),
                (b + "attn.out_proj.weight", [w, w]), (b + "attn.out_proj.bias", [w]),
                (b + "ln_2.weight", [w]), (b + "ln_2.bias", [w]),
                (b + "mlp.c_fc.weight", [c.mlpWidth, w]), (b + "mlp.c_fc.bias", [c.mlpWidth]),
                (b + "mlp.c_proj.weight", [w, c.mlpWidth]), (b + "mlp.c_proj.bias", [w]),
            ]
        }
        return out
    }
}
