import Checkpoints
import Foundation

/// The shape of an open_clip ViT image tower, as read off a checkpoint's tensor shapes.
///
/// Heads follow open_clip's convention of 64-wide heads (`heads = width / 64`), which a state dict
/// cannot reveal on its own (the fused `in_proj` is the same for any head count).
public struct VisionTransformerConfig: Sendable, Equatable, CustomStringConvertible {
    /// Residual stream width (`conv1` output channels).
    public var width: Int
    /// Number of residual attention blocks.
    public var layers: Int
    /// Attention heads per block.
    public var heads: Int
    /// Side of the square patches (`conv1` kernel and stride).
    public var patchSize: Int
    /// Side of the square input image; `(imageSize / patchSize)² + 1` tokens.
    public var imageSize: Int
    /// Hidden width of each block's MLP (`c_fc` output).
    public var mlpWidth: Int
    /// Width of the projected image features (`proj` columns).
    public var outputDim: Int
    /// The MLP nonlinearity.
    public var activation: Activation

    /// Creates a configuration; `mlpWidth` defaults to `4 · width`.
    public init(width: Int, layers: Int, heads: Int, patchSize: Int, imageSize: Int,
                mlpWidth: Int? = nil, outputDim: Int, activation: Activation = .quickGELU) {
        self.width = width
        self.layers = layers
        self.heads = heads
        self.patchSize = patchSize
        self.imageSize = imageSize
        self.mlpWidth = mlpWidth ?? 4 * width
        self.outputDim = outputDim
        self.activation = activation
    }

    /// open_clip `ViT-B-32` (with `-quickgelu`: the reference's encoder).
    public static let vitB32 = VisionTransformerConfig(width: 768, layers: 12, heads: 12, patchSize: 32, imageSize: 224, outputDim: 512)
    /// open_clip `ViT-B-16`.
    public static let vitB16 = VisionTransformerConfig(width: 768, layers: 12, heads: 12, patchSize: 16, imageSize: 224, outputDim: 512)
    /// open_clip `ViT-L-14`.
    public static let vitL14 = VisionTransformerConfig(width: 1024, layers: 24, heads: 16, patchSize: 14, imageSize: 224, outputDim: 768)

    /// The named presets, keyed by open_clip model name.
    public static let presets: [(name: String, config: VisionTransformerConfig)] = [
        ("ViT-B-32", vitB32), ("ViT-B-16", vitB16), ("ViT-L-14", vitL14),
    ]

    /// The open_clip name of the preset this configuration matches (activation aside), if any.
    public var presetName: String? {
        Self.presets.first { var c = $0.config; c.activation = activation; return c == self }?.name
    }

    /// Patches per side.
    public var gridSize: Int { imageSize / patchSize }
    /// Tokens per image: one class token plus `gridSize²` patches.
    public var tokens: Int { gridSize * gridSize + 1 }
    /// Width of one attention head.
    public var headWidth: Int { width / heads }

    /// Multiply-accumulates of one image's forward pass (the matrix products; ~4.4 G for ViT-B-32).
    public var multiplyAccumulatesPerImage: Int {
        let t = tokens, w = width, g2 = gridSize * gridSize
        let patch = g2 * 3 * patchSize * patchSize * w
        let block = t * w * 3 * w + 2 * t * t * w + t * w * w + 2 * t * w * mlpWidth
        return patch + layers * block + w * outputDim
    }

    public var description: String {
        let name = presetName.map { "\($0) " } ?? ""
        return "\(name)ViT width \(width), \(layers) layers, \(heads) heads, patch \(patchSize), image \(imageSize), output \(outputDim), activation \(activation.rawValue)"
    }
}
