import Foundation

/// What can go wrong when setting up or resuming a fine-tuning run.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// A tensor the model needs is absent from a checkpoint.
    case missingTensor(file: String, tensor: String)
    /// A tensor's shape disagrees with the model's configuration.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// The head's input width is not the encoder's output width.
    case headWidthMismatch(head: String, headWidth: Int, encoderDim: Int)
    /// A label is outside the head's classes.
    case labelOutOfRange(index: Int, label: Int, classCount: Int)
    /// A resume state was written by a different run (model shape, data size or recipe).
    case incompatibleState(file: String, key: String, expected: String, found: String)
    /// A recipe value is out of range.
    case badRecipe(String)
    /// The training set is empty.
    case emptyTrainingSet

    public var description: String {
        switch self {
        case let .missingTensor(f, t): return "\(f): tensor '\(t)' is missing"
        case let .shapeMismatch(f, t, e, found): return "\(f): tensor '\(t)' has shape \(found), expected \(e)"
        case let .headWidthMismatch(h, hw, d):
            return "head \(h) takes \(hw)-wide features but the encoder produces \(d)"
        case let .labelOutOfRange(i, l, c): return "label \(l) of sample \(i) is outside the head's \(c) classes"
        case let .incompatibleState(f, k, e, found):
            return "\(f): resume state has \(k) = \(found) but this run has \(e); start without --resume or use the same settings"
        case let .badRecipe(m): return "invalid training recipe: \(m)"
        case .emptyTrainingSet: return "the training set is empty"
        }
    }
}
