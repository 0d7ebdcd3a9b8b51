/// The shape of an open_clip CLIP text tower, as read off a checkpoint's tensor shapes.
///
/// As for the image tower, heads are 64 wide by default (`heads = width / 64`; open_clip's
/// ViT-B-32, B-16 and L-14 text towers have 8, 8 and 12 heads), which a state dict cannot reveal.
public struct TextTransformerConfig: Sendable, Equatable, CustomStringConvertible {
    /// Rows of `token_embedding.weight` (49,408 for CLIP's BPE).
    public var vocabularySize: Int
    /// Rows of `positional_embedding`: the most tokens a text may have (77).
    public var contextLength: Int
    /// Residual stream width.
    public var width: Int
    /// Number of residual attention blocks.
    public var layers: Int
    /// Attention heads per block.
    public var heads: Int
    /// Hidden width of each block's MLP.
    public var mlpWidth: Int
    /// Width of the projected text features (`text_projection` columns).
    public var outputDim: Int
    /// The MLP nonlinearity.
    public var activation: Activation

    /// Creates a configuration; `mlpWidth` defaults to `4 · width`.
    public init(vocabularySize: Int, contextLength: Int, width: Int, layers: Int, heads: Int,
                mlpWidth: Int? = nil, outputDim: Int, activation: Activation = .quickGELU) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.width = width
        self.layers = layers
        self.heads = heads
        self.mlpWidth = mlpWidth ?? 4 * width
        self.outputDim = outputDim
        self.activation = activation
    }

    /// Width of one attention head.
    public var headWidth: Int { width / heads }

    public var description: String {
        "text transformer vocabulary \(vocabularySize), context \(contextLength), width \(width), \(layers) layers, \(heads) heads, output \(outputDim), activation \(activation.rawValue)"
    }
}
