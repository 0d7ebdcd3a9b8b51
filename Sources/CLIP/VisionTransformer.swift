import Checkpoints
import Foundation
import Tensors

/// An open_clip ViT image encoder (`CLIP.visual`), loaded from a checkpoint and run on BLAS.
///
/// Forward pass, as open_clip's `VisionTransformer.forward` in eval mode: `conv1` patch embedding
/// (im2col + one sgemm), class token, positional embedding, `ln_pre`, `layers` residual blocks
/// `x += out_proj(MHA(ln_1(x)))`, `x += c_proj(act(c_fc(ln_2(x))))`, then `ln_post` on the class
/// token and `· proj`. LayerNorm eps is 1e-5. Each batch runs either as one sgemm per linear
/// layer over all `N · tokens` rows on OpenBLAS threads, or split into one sub-batch per core,
/// each with single-threaded sgemms (``Parallelism``). Only the class token leaves the encoder, so the last
/// block computes keys and values for every token but queries, `out_proj` and the MLP for the
/// class token alone (the same values, ~6% fewer FLOPs for ViT-B-32).
///
/// Parity: features agree with open_clip 3.3 (float32, CPU) within 1e-4 of the feature norm.
public struct VisionTransformer: Sendable {
    /// Shape and activation of the encoder.
    public let config: VisionTransformerConfig
    /// Where the tower sits in the checkpoint.
    public let layout: VisionTransformerLayout
    /// The checkpoint it was loaded from.
    public let source: URL

    let conv: FloatBuffer          // [W, 3·P·P]
    let classEmbedding: FloatBuffer
    let positional: FloatBuffer    // [T, W]
    let lnPreWeight, lnPreBias, lnPostWeight, lnPostBias: FloatBuffer
    let proj: FloatBuffer          // [W, D]
    let blocks: [ResidualAttentionBlock]

    /// How each batch is spread over the cores (see ``Parallelism``).
    public var parallelism: Parallelism = .default

    /// Opens `url` (any format ``Checkpoint/open(_:)`` reads) and loads its image tower.
    /// - Parameters:
    ///   - activation: MLP nonlinearity; QuickGELU for the reference checkpoints (spec §4.1).
    ///   - heads: head count; default `width / 64` as open_clip.
    /// - Throws: ``CLIPError`` when the file holds no ViT image tower or a shape disagrees, and
    ///   ``CheckpointError`` when the file cannot be read.
    public init(checkpoint url: URL, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        try self.init(reader: try Checkpoint.open(url), activation: activation, heads: heads)
    }

    /// Loads the image tower of an opened checkpoint (see ``VisionTransformerLayout``).
    public init(reader: any CheckpointReader, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        let layout = try VisionTransformerLayout(reader: reader, activation: activation, heads: heads)
        func load(_ key: String) throws -> FloatBuffer { try layout.load(key, from: reader) }
        self.layout = layout
        self.config = layout.config
        self.source = reader.url
        conv = try load("conv1.weight")
        classEmbedding = try load("class_embedding")
        positional = try load("positional_embedding")
        lnPreWeight = try load("ln_pre.weight"); lnPreBias = try load("ln_pre.bias")
        lnPostWeight = try load("ln_post.weight"); lnPostBias = try load("ln_post.bias")
        proj = try load("proj")
        blocks = try (0..<layout.config.layers).map {
            try ResidualAttentionBlock(index: $0) { try layout.load($0, from: reader) }
        }
    }

    /// Encodes preprocessed images `[N, 3, S, S]` into features `[N, outputDim]`.
    /// - Parameters:
    ///   - pixels: float32 CHW images normalised with CLIP's mean and std, S = `config.imageSize`.
    ///   - batchSize: images per forward pass (memory grows linearly with it).
    ///   - progress: called after each batch with the number of images done.
    /// - Throws: ``CLIPError/badPixels(path:expected:found:)`` when the shape is wrong.
    public func encode(_ pixels: Tensor, batchSize: Int = 32, progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let s = config.imageSize
        guard pixels.rank == 4, pixels.shape[1] == 3, pixels.shape[2] == s, pixels.shape[3] == s else {
            throw CLIPError.badPixels(path: "pixels", expected: [pixels.shape.first ?? 0, 3, s, s], found: pixels.shape)
        }
        let n = pixels.shape[0], perImage = 3 * s * s, d = config.outputDim
        var out = Tensor(shape: [n, d])
        pixels.scalars.withUnsafeBufferPointer { src in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                guard let sp = src.baseAddress, let dp = dst.baseAddress else { return }
                encodeBatches(count: n, batchSize: batchSize) { range, buffer in
                    buffer.update(from: sp + range.lowerBound * perImage, count: range.count * perImage)
                    return range.count
                } consume: { range, features in
                    if let f = features.baseAddress { (dp + range.lowerBound * d).update(from: f, count: features.count) }
                    progress?(range.upperBound)
                }
            }
        }
        return out
    }
}
