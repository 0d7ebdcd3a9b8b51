import Checkpoints
import Foundation
import Tensors

/// Where a ViT image tower sits in a checkpoint, how its tensors are named, and its shape.
///
/// Tensors are addressed by their open_clip names without prefix (`conv1.weight`,
/// `transformer.resblocks.0.attn.in_proj_weight`, `proj`), whatever the file calls them:
/// - open_clip: the reference layout (`model.visual.…`, as `ImageEncoder.state_dict()` saves it),
///   a CLIP state dict (`visual.…`), any other prefix ending in `visual.`, or a bare
///   `VisionTransformer` state dict (`conv1.weight`);
/// - Hugging Face `transformers` (`CLIPVisionModelWithProjection`, `CLIPModel`):
///   `vision_model.embeddings.patch_embedding.weight`, separate `q_proj/k_proj/v_proj` (fused
///   here in that order), `pre_layrnorm`, `post_layernorm`, and `visual_projection.weight`
///   [D, W] (transposed here to open_clip's `proj` [W, D]).
public struct VisionTransformerLayout: Sendable, Equatable {
    /// The naming convention of the file.
    public enum Naming: String, Sendable {
        /// open_clip `VisionTransformer` names.
        case openCLIP = "open_clip"
        /// Hugging Face `transformers` `CLIPVisionTransformer` names.
        case huggingFace = "transformers"
    }

    /// The key prefix of the tower, e.g. `model.visual.` or `vision_model.`.
    public var prefix: String
    /// How the file names the tower's tensors.
    public var naming: Naming
    /// The configuration read off the shapes.
    public var config: VisionTransformerConfig
    /// Hugging Face only: the key of `visual_projection.weight`.
    var projectionKey: String = ""

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

        let openCLIP = shapes.keys.filter { $0.hasSuffix("conv1.weight") }
            .map { String($0.dropLast("conv1.weight".count)) }
            .filter { $0.isEmpty || $0.hasSuffix(".") }
            .filter { shapes[$0 + "transformer.resblocks.0.attn.in_proj_weight"] != nil }
            .sorted { ($0.hasSuffix("visual.") ? 0 : 1, $0.count) < ($1.hasSuffix("visual.") ? 0 : 1, $1.count) }
        let hfSuffix = "embeddings.patch_embedding.weight"
        let huggingFace = shapes.keys.filter { $0.hasSuffix(hfSuffix) }
            .map { String($0.dropLast(hfSuffix.count)) }
            .filter { shapes[$0 + "encoder.layers.0.self_attn.q_proj.weight"] != nil }
            .sorted { $0.count < $1.count }
        if let p = openCLIP.first {
            prefix = p
            naming = .openCLIP
        } else if let p = huggingFace.first {
            prefix = p
            naming = .huggingFace
            let parent = p.hasSuffix("vision_model.") ? String(p.dropLast("vision_model.".count)) : p
            projectionKey = parent + "visual_projection.weight"
            guard shapes[projectionKey] != nil else {
                throw CLIPError.notAVisionTransformer(
                    path: path, reason: "its Hugging Face vision tower '\(p)' has no '\(projectionKey)' (save a CLIPVisionModelWithProjection or CLIPModel)")
            }
        } else {
            let example = reader.tensors.first.map { " (first key: '\($0.name)')" } ?? ""
            throw CLIPError.notAVisionTransformer(
                path: path,
                reason: "found no 'visual.conv1.weight' with 'visual.transformer.resblocks.0.attn.in_proj_weight' (open_clip) nor 'vision_model.embeddings.patch_embedding.weight' (transformers) among its \(shapes.count) tensors\(example)")
        }
        config = VisionTransformerConfig(width: 0, layers: 0, heads: 1, patchSize: 1, imageSize: 1, outputDim: 0)

        func shape(_ logical: String) throws -> [Int] {
            let (keys, transposed) = physical(logical)
            return try _HuggingFaceCLIPNames.logicalShape(keys, transposed: transposed, shapes: shapes, path: path)
        }
        let conv = try shape("conv1.weight")
        guard conv.count == 4, conv[1] == 3, conv[2] == conv[3], conv[2] > 0, conv[0] > 0 else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "'\(physical("conv1.weight").keys[0])' has shape \(conv), not [width, 3, patch, patch]")
        }
        let width = conv[0], patch = conv[2]
        var layers = 0
        while (try? shape("transformer.resblocks.\(layers).attn.out_proj.weight")) != nil { layers += 1 }
        let pos = try shape("positional_embedding")
        let grid = Int(Double(max(0, (pos.first ?? 1) - 1)).squareRoot().rounded())
        guard pos.count == 2, pos[1] == width, grid > 0, grid * grid + 1 == pos[0] else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "'\(physical("positional_embedding").keys[0])' has shape \(pos), not [grid² + 1, \(width)] for a square patch grid")
        }
        let proj = try shape("proj")
        guard proj.count == 2, proj[0] == width else {
            throw CLIPError.shapeMismatch(path: path, tensor: physical("proj").keys[0], expected: [width, proj.last ?? 0], found: proj)
        }
        let fc = try shape("transformer.resblocks.0.mlp.c_fc.weight")
        guard fc.count == 2, fc[1] == width else {
            throw CLIPError.shapeMismatch(path: path, tensor: physical("transformer.resblocks.0.mlp.c_fc.weight").keys[0], expected: [fc.first ?? 0, width], found: fc)
        }
        let h = heads ?? max(1, width / 64)
        guard h > 0, width % h == 0 else {
            throw CLIPError.notAVisionTransformer(path: path, reason: "width \(width) does not split into \(h) heads")
        }
        config = VisionTransformerConfig(width: width, layers: layers, heads: h, patchSize: patch,
                                         imageSize: grid * patch, mlpWidth: fc[0], outputDim: proj[1],
                                         activation: activation)
        // Every tensor the forward pass reads must be present with the configured shape.
        for (logical, expected) in expectedShapes {
            let keys = physical(logical).keys
            for key in keys {
                guard let found = shapes[key] else { throw CLIPError.missingTensor(path: path, tensor: key) }
                let want = physicalShape(logical, expected: expected, parts: keys.count)
                guard found == want else {
                    throw CLIPError.shapeMismatch(path: path, tensor: key, expected: want, found: found)
                }
            }
        }
    }

    /// The file's keys holding an open_clip tensor (several when fused here), and whether the
    /// file stores it transposed.
    func physical(_ logical: String) -> (keys: [String], transposed: Bool) {
        switch naming {
        case .openCLIP:
            return ([prefix + logical], false)
        case .huggingFace:
            switch logical {
            case "conv1.weight": return ([prefix + "embeddings.patch_embedding.weight"], false)
            case "class_embedding": return ([prefix + "embeddings.class_embedding"], false)
            case "positional_embedding": return ([prefix + "embeddings.position_embedding.weight"], false)
            case "proj": return ([projectionKey], true)
            default: break
            }
            for (from, to) in [("ln_pre.", "pre_layrnorm."), ("ln_post.", "post_layernorm.")] where logical.hasPrefix(from) {
                return ([prefix + to + logical.dropFirst(from.count)], false)
            }
            return (_HuggingFaceCLIPNames.blockKeys(logical, prefix: prefix), false)
        }
    }

    /// The shape each file key must have for a logical tensor of shape `expected`.
    func physicalShape(_ logical: String, expected: [Int], parts: Int) -> [Int] {
        _HuggingFaceCLIPNames.physicalShape(expected: expected, parts: parts, transposed: physical(logical).transposed)
    }

    /// Reads one tensor by its open_clip name, fusing and transposing as the naming requires.
    func read(_ logical: String, from reader: any CheckpointReader) throws -> [Float] {
        let (keys, transposed) = physical(logical)
        return try _HuggingFaceCLIPNames.read(keys, transposed: transposed, from: reader)
    }

    /// ``read(_:from:)`` into a weight buffer; a tensor that needs no fusing or transposing is
    /// decoded straight from the file's map (safetensors and `.pt` alike), one pass over it.
    func load(_ logical: String, from reader: any CheckpointReader) throws -> FloatBuffer {
        let (keys, transposed) = physical(logical)
        return try _HuggingFaceCLIPNames.load(keys, transposed: transposed, from: reader)
    }

    /// Every tensor of the tower (open_clip name, no prefix) and the shape the configuration requires.
    public var expectedShapes: [(String, [Int])] {
        let c = config, w = c.width, p = c.patchSize
        var out: [(String, [Int])] = [
            ("conv1.weight", [w, 3, p, p]), ("class_embedding", [w]), ("positional_embedding", [c.tokens, w]),
            ("ln_pre.weight", [w]), ("ln_pre.bias", [w]), ("ln_post.weight", [w]), ("ln_post.bias", [w]),
            ("proj", [w, c.outputDim]),
        ]
        for i in 0..<c.layers { out += ResidualAttentionBlock.expectedShapes(index: i, width: w, mlpWidth: c.mlpWidth) }
        return out
    }
}
