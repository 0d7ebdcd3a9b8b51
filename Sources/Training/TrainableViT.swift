import CLIP
import Checkpoints
import Foundation
import Tensors

/// An open_clip ViT image tower whose weights can be trained: one flat ``ParameterBuffer`` laid
/// out by ``ParameterLayout``, a forward pass that keeps the activations its backward pass needs
/// (``TrainingWorkspace``), and the backward pass itself.
///
/// The architecture is exactly `CLIP.VisionTransformer`'s (open_clip `VisionTransformer`, class
/// token pooling, LayerNorm eps 1e-5), so the weights it saves load there unchanged.
public final class TrainableViT: @unchecked Sendable {
    /// Shape and activation.
    public let config: VisionTransformerConfig
    /// Where each tensor sits in ``weights``.
    public let layout: ParameterLayout
    /// The weights θ.
    public let weights: ParameterBuffer
    /// The key prefix of the tower in the checkpoint it was loaded from (`model.visual.` for the
    /// reference's files and for random init), used again when saving.
    public var prefix = "model.visual."

    /// A tower with weights taken from `weights` (a flat buffer in `ParameterLayout(config:)` order).
    public init(config: VisionTransformerConfig, weights: ParameterBuffer) {
        let layout = ParameterLayout(config: config)
        precondition(weights.count == layout.count, "TrainableViT: \(weights.count) weights for a layout of \(layout.count)")
        self.config = config
        self.layout = layout
        self.weights = weights
    }

    /// A randomly initialised tower, as open_clip initialises `VisionTransformer` (random init,
    /// `__init__` model names): class and positional embeddings and `proj` ~ N(0, σ = width^-½);
    /// `conv1`, `out_proj`, `c_fc`, `c_proj` weights ~ U(±1/√fan_in) (PyTorch's default
    /// Linear/Conv init), `in_proj_weight` Xavier-uniform, `c_fc`/`c_proj` biases ~ U(±1/√fan_in),
    /// attention biases 0, LayerNorms (1, 0). Seeded by `seed`; not PyTorch's random stream.
    public convenience init(config: VisionTransformerConfig, seed: UInt64) {
        let layout = ParameterLayout(config: config)
        let buffer = ParameterBuffer(count: layout.count)
        var rng = SeededRandom(seed: seed, 0x1417)
        let w = config.width, scale = 1 / Double(w).squareRoot()
        let p = buffer.pointer
        func normal(_ offset: Int, _ n: Int, _ std: Double) { for i in 0..<n { p[offset + i] = Float(std * rng.normal()) } }
        func uniform(_ offset: Int, _ n: Int, _ bound: Double) { for i in 0..<n { p[offset + i] = Float(rng.uniform(-bound, bound)) } }
        func fill(_ offset: Int, _ n: Int, _ v: Float) { for i in 0..<n { p[offset + i] = v } }
        let k = 3 * config.patchSize * config.patchSize, m = config.mlpWidth
        normal(layout.classEmbedding, w, scale)
        normal(layout.positional, config.tokens * w, scale)
        normal(layout.proj, w * config.outputDim, scale)
        uniform(layout.conv, w * k, 1 / Double(k).squareRoot())
        fill(layout.lnPreWeight, w, 1); fill(layout.lnPostWeight, w, 1)
        for b in layout.blocks {
            fill(b.ln1Weight, w, 1); fill(b.ln2Weight, w, 1)
            uniform(b.inProjWeight, 3 * w * w, (6.0 / Double(4 * w)).squareRoot())
            uniform(b.outProjWeight, w * w, 1 / Double(w).squareRoot())
            uniform(b.fcWeight, m * w, 1 / Double(w).squareRoot()); uniform(b.fcBias, m, 1 / Double(w).squareRoot())
            uniform(b.projWeight, w * m, 1 / Double(m).squareRoot()); uniform(b.projBias, w, 1 / Double(m).squareRoot())
        }
        self.init(config: config, weights: buffer)
    }

    /// Loads the image tower of an open_clip checkpoint (any prefix ending in `visual.`, as
    /// ``VisionTransformerLayout`` finds it) into trainable weights.
    /// - Throws: ``CLIPError`` when the file holds no open_clip ViT tower, ``TrainingError`` when
    ///   it uses the Hugging Face naming, ``CheckpointError`` when it cannot be read.
    public convenience init(reader: any CheckpointReader, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        let found = try VisionTransformerLayout(reader: reader, activation: activation, heads: heads)
        guard found.naming == .openCLIP else {
            throw TrainingError.missingTensor(file: reader.url.path, tensor: "visual.conv1.weight (training reads open_clip names; convert this Hugging Face checkpoint first)")
        }
        let layout = ParameterLayout(config: found.config)
        let buffer = ParameterBuffer(count: layout.count)
        for e in layout.entries {
            let key = found.prefix + e.name
            let t = try reader.readFloat(key)
            guard t.count == e.count else {
                throw TrainingError.shapeMismatch(file: reader.url.path, tensor: key, expected: e.shape, found: t.shape)
            }
            t.scalars.withUnsafeBufferPointer { if let s = $0.baseAddress { (buffer.pointer + e.offset).update(from: s, count: e.count) } }
            reader.evict(key)
        }
        self.init(config: found.config, weights: buffer)
        prefix = found.prefix
    }

    /// The tensors of `reader` outside the image tower under `prefix` (the text-tower leftovers
    /// of the reference's `ImageEncoder`), to be saved unchanged next to the trained tower, as
    /// the reference's fine-tuning leaves them at θ0.
    public func otherTensors(of reader: any CheckpointReader) throws -> [(String, StoredTensor)] {
        try reader.tensors.filter { !$0.name.hasPrefix(prefix) }.map { ($0.name, try reader.read($0.name)) }
    }

    /// A copy of the tensor named `name` (open_clip name without prefix), or `nil`.
    public func tensor(_ name: String) -> Tensor? {
        guard let e = layout.entry(name) else { return nil }
        return Tensor(shape: e.shape, scalars: Array(UnsafeBufferPointer(start: weights.pointer + e.offset, count: e.count)))
    }

    /// An independent copy (weights duplicated).
    public func copy() -> TrainableViT {
        let b = ParameterBuffer(count: weights.count)
        b.copy(from: weights)
        let m = TrainableViT(config: config, weights: b)
        m.prefix = prefix
        return m
    }

    /// Writes the tower as a safetensors state dict, keys `prefix + name` (default ``prefix``,
    /// the reference's `model.visual.…` that `ImageEncoder.state_dict()` saves), float32, atomically; `extra`
    /// tensors (a source checkpoint's text-tower leftovers) are written unchanged after them.
    /// - Throws: ``CheckpointError`` when the file cannot be written.
    public func save(to url: URL, prefix: String? = nil, extra: [(String, StoredTensor)] = []) throws {
        let prefix = prefix ?? self.prefix
        var infos = layout.entries.map { TensorInfo(name: prefix + $0.name, dtype: .f32, shape: $0.shape) }
        infos += extra.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) }
        var writer = try SafetensorsWriter(url: url, tensors: infos, metadata: ["format": "pt"])
        do {
            for e in layout.entries {
                try writer.write(prefix + e.name, floats: UnsafeBufferPointer(start: weights.pointer + e.offset, count: e.count))
            }
            for (name, t) in extra { try writer.write(name, t) }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Writes the tower as a `torch.save` state dict (``TorchStateDictWriter``), keys as
    /// ``save(to:prefix:extra:)``: the reference's `nonlinear_finetuned.pt`, which
    /// `torch.load(weights_only=True)` and `ImageEncoder.load_state_dict` read.
    /// - Throws: ``CheckpointError`` when the file cannot be written.
    public func savePyTorch(to url: URL, prefix: String? = nil, extra: [(String, StoredTensor)] = []) throws {
        let prefix = prefix ?? self.prefix
        var tensors: [(String, StoredTensor)] = layout.entries.map { e in
            let bytes = Array(UnsafeRawBufferPointer(start: weights.pointer + e.offset, count: e.count * MemoryLayout<Float>.size))
            return (prefix + e.name, StoredTensor(dtype: .f32, shape: e.shape, data: bytes))
        }
        tensors += extra
        try TorchStateDictWriter.save(tensors, to: url, archiveName: url.deletingPathExtension().lastPathComponent)
    }
}
