import Checkpoints
import Tensors

/// How Hugging Face `transformers` names the residual blocks of a CLIP tower, and reading a
/// tensor that such a file splits (q/k/v) or stores transposed (projections); shared by the
/// image and the text tower.
enum _HuggingFaceCLIPNames {
    /// The keys under `prefix` holding open_clip block tensor `logical`
    /// (`transformer.resblocks.{i}.…`): three for the fused `attn.in_proj_*` (q, k, v in order).
    static func blockKeys(_ logical: String, prefix: String) -> [String] {
        var name = logical.replacingOccurrences(of: "transformer.resblocks.", with: "encoder.layers.")
        for suffix in ["weight", "bias"] where name.hasSuffix("attn.in_proj_\(suffix)") {
            let base = prefix + String(name.dropLast("attn.in_proj_\(suffix)".count)) + "self_attn."
            return ["q_proj", "k_proj", "v_proj"].map { base + $0 + "." + suffix }
        }
        for (from, to) in [(".ln_1.", ".layer_norm1."), (".ln_2.", ".layer_norm2."), (".attn.out_proj.", ".self_attn.out_proj."),
                           (".mlp.c_fc.", ".mlp.fc1."), (".mlp.c_proj.", ".mlp.fc2.")] {
            name = name.replacingOccurrences(of: from, with: to)
        }
        return [prefix + name]
    }

    /// The shape each of `parts` file keys must have for a tensor of shape `expected`.
    static func physicalShape(expected: [Int], parts: Int, transposed: Bool) -> [Int] {
        var s = expected
        if parts > 1 { s[0] /= parts }
        if transposed && s.count == 2 { s = [s[1], s[0]] }
        return s
    }

    /// The values of `keys` concatenated along the first dimension, transposed when asked.
    static func read(_ keys: [String], transposed: Bool, from reader: any CheckpointReader) throws -> [Float] {
        var values: [Float] = []
        var shape: [Int] = []
        for key in keys {
            let t = try reader.readFloat(key)
            reader.evict(key)
            values += t.scalars
            shape = t.shape
        }
        guard transposed, shape.count == 2 else { return values }
        let rows = shape[0], cols = shape[1]
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return out
    }

    /// ``read(_:transposed:from:)`` into a weight buffer, decoded straight from the map when there
    /// is one key to read as it is.
    static func load(_ keys: [String], transposed: Bool, from reader: any CheckpointReader) throws -> FloatBuffer {
        if keys.count == 1, !transposed, let m = reader.mapped(keys[0]), let info = reader.info(keys[0]), info.dtype.isConvertible {
            let buffer = FloatBuffer(uninitialized: info.count) { p in
                DTypeConversion.decode(m.bytes, dtype: info.dtype, count: info.count, into: p)
            }
            reader.evict(keys[0])
            return buffer
        }
        return FloatBuffer(try read(keys, transposed: transposed, from: reader))
    }

    /// The open_clip shape of a tensor stored as `keys` (concatenated along the first dimension,
    /// transposed when `transposed`), from the file's `shapes`.
    /// - Throws: ``CLIPError/missingTensor(path:tensor:)`` naming the first absent key.
    static func logicalShape(_ keys: [String], transposed: Bool, shapes: [String: [Int]], path: String) throws -> [Int] {
        var parts: [[Int]] = []
        for key in keys {
            guard let s = shapes[key] else { throw CLIPError.missingTensor(path: path, tensor: key) }
            parts.append(s)
        }
        guard var s = parts.first else { return [] }
        if parts.count > 1, !s.isEmpty { s[0] = parts.reduce(0) { $0 + ($1.first ?? 0) } }
        return transposed && s.count == 2 ? [s[1], s[0]] : s
    }
}
