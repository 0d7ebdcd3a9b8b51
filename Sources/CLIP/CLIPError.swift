/// Everything that can be wrong with an encoder, a head or their inputs, with the file and what.
///
/// Each description is one sentence that names the file, so a user knows what to fix.
public enum CLIPError: Error, Equatable, CustomStringConvertible {
    /// The checkpoint holds no open_clip ViT image tower (no `visual.conv1.weight` with its blocks).
    case notAVisionTransformer(path: String, reason: String)
    /// A tensor the encoder needs is absent.
    case missingTensor(path: String, tensor: String)
    /// A tensor has a shape that disagrees with the configuration read off the other tensors.
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    /// The head file holds no usable `weight` [C, D] (and optional `bias` [C]).
    case notAClassificationHead(path: String, reason: String)
    /// The head's input width differs from the encoder's output dimension.
    case headWidthMismatch(head: String, headWidth: Int, encoder: String, encoderDim: Int)
    /// The pixel tensor does not have the shape the encoder expects.
    case badPixels(path: String, expected: [Int], found: [Int])
    /// The BPE merges file (`bpe_simple_vocab_16e6.txt.gz`) cannot be read or parsed.
    case badMergesFile(path: String, reason: String)
    /// The checkpoint holds no open_clip text tower (`token_embedding.weight`, `positional_embedding`, blocks).
    case notATextTransformer(path: String, reason: String)
    /// Token ids that the text encoder cannot take (an id past the vocabulary, a row wider than the context).
    case badTokens(path: String, reason: String)
    /// A zero-shot head cannot be built from these class names and templates.
    case badPrompts(reason: String)

    public var description: String {
        switch self {
        case let .notAVisionTransformer(p, r):
            return "\(p) is not a ViT image encoder checkpoint: \(r)."
        case let .missingTensor(p, t):
            return "\(p) lacks tensor '\(t)', which a ViT image encoder needs."
        case let .shapeMismatch(p, t, e, f):
            return "\(p): tensor '\(t)' has shape \(f) but the encoder configuration needs \(e)."
        case let .notAClassificationHead(p, r):
            return "\(p) is not a classification head: \(r)."
        case let .headWidthMismatch(h, hw, e, ed):
            return "head \(h) takes \(hw)-dimensional features but encoder \(e) outputs \(ed); use the head built for this encoder."
        case let .badPixels(p, e, f):
            return "\(p): pixel tensor has shape \(f) but the encoder needs \(e) (N images, 3 channels, preprocessed float32)."
        case let .badMergesFile(p, r):
            return "\(p) is not a CLIP BPE merges file (bpe_simple_vocab_16e6.txt.gz): \(r)."
        case let .notATextTransformer(p, r):
            return "\(p) is not a CLIP text encoder checkpoint: \(r)."
        case let .badTokens(p, r):
            return "text encoder \(p) cannot take these tokens: \(r)."
        case let .badPrompts(r):
            return "cannot build a zero-shot head: \(r)."
        }
    }
}
