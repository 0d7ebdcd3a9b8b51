/// Top-1 accuracy of a model on one split: how many images were classified correctly.
public struct SplitAccuracy: Sendable, Equatable, Codable {
    /// Images whose arg-max class equals the label.
    public var correct: Int
    /// Images evaluated.
    public var count: Int

    public init(correct: Int, count: Int) {
        self.correct = correct
        self.count = count
    }

    /// `correct / count` (the reference's `top1`), 0 for an empty split.
    public var top1: Double { count > 0 ? Double(correct) / Double(count) : 0 }
}
