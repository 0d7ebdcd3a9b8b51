import Datasets

/// Why a model could not be evaluated on a split.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// The head has fewer classes than a label of the split needs.
    case labelOutOfRange(task: String, label: Int, classes: Int, head: String)
    /// The split holds no images.
    case emptySplit(task: String, split: String)

    public var description: String {
        switch self {
        case let .labelOutOfRange(task, label, classes, head):
            return "\(task): label \(label) does not exist in the head \(head), which has \(classes) classes."
        case let .emptySplit(task, split):
            return "\(task): the \(split) split holds no images."
        }
    }
}
