/// One class of a prediction: its index in the head, its logit and its softmax probability.
public struct ClassScore: Sendable, Equatable {
    /// Row of the head's weight matrix.
    public var index: Int
    /// `W[index] · normalize(f) + b[index]`.
    public var logit: Float
    /// Softmax over all classes' logits.
    public var probability: Float

    public init(index: Int, logit: Float, probability: Float) {
        self.index = index
        self.logit = logit
        self.probability = probability
    }
}
