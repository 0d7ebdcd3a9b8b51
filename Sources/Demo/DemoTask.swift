import Tensors

/// One task of the demo suite: a label space and a way to make its images.
public struct DemoTask: Sendable {
    /// Where a task's images come from.
    public enum Source: Sendable {
        /// Fashion-MNIST images (a block of the second training half, a block of the test set),
        /// transformed (28×28 row-major bytes) and relabelled (from the 10 original classes).
        case fashion(transform: @Sendable ([UInt8]) -> [UInt8], relabel: @Sendable (Int) -> Int)
        /// Images drawn for a label from a seeded generator, with Debian's fonts at hand, and
        /// the label's canonical depictions (clean, centred, upright: what a prompt would name).
        case drawn(@Sendable (_ label: Int, _ rng: inout SeededRandom, _ fonts: DemoFonts) throws -> [UInt8],
                   canonical: @Sendable (_ label: Int, _ fonts: DemoFonts) throws -> [[UInt8]])
    }

    /// The task's name (a custom task folder under `data_location`).
    public var name: String
    /// What the task is, for the report.
    public var summary: String
    /// Class names in label order.
    public var classNames: [String]
    /// How its images are made.
    public var source: Source

    public init(name: String, summary: String, classNames: [String], source: Source) {
        self.name = name
        self.summary = summary
        self.classNames = classNames
        self.source = source
    }

    /// Whether the images are drawn (not Fashion-MNIST's).
    public var isDrawn: Bool {
        if case .drawn = source { return true }
        return false
    }
}
