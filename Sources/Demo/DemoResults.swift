import Experiments
import Foundation

/// Everything the demo measured, as the report presents it.
public struct DemoResults: Sendable {
    /// One task of the suite.
    public struct TaskInfo: Sendable, Codable, Equatable {
        public var name: String
        public var summary: String
        public var classes: Int
    }

    /// A merge run: a base method with or without LiNeS.
    public struct Merge: Sendable {
        public var method: String
        public var lines: Bool
        public var outcome: RunOutcome
        public var label: String { lines ? method + "+LiNeS" : method }
    }

    /// Single-task editing of one target: the fine-tuned model (γ = 1) and LiNeS (γ chosen).
    public struct SingleTask: Sendable {
        public var target: String
        public var finetuned: RunOutcome
        public var lines: RunOutcome
    }

    public var tasks: [TaskInfo]
    public var zeroshot: RunOutcome?
    public var merges: [Merge] = []
    public var singleTask: [SingleTask] = []
    /// `nonlinear_ft_accuracies.json`: the fine-tuned models' accuracies (`XVal`, `X`).
    public var finetunedAccuracy: [String: Double] = [:]
    /// Per task, the fine-tuning curve: validation accuracy before and after each epoch.
    public var curves: [String: [Double]] = [:]
    /// The fine-tuning seeds' offset (``DemoSettings/seed``).
    public var seed = 0
    /// L, the encoder's residual blocks.
    public var layerCount = 0
    /// Wall time of each stage.
    public var timings: [(String, Double)] = []

    public init(tasks: [TaskInfo]) { self.tasks = tasks }

    /// A number from a run's results document: `split` is `test`, `val_best` or a `val` key.
    public static func value(_ outcome: RunOutcome?, _ split: String, _ key: String) -> Double? {
        guard let doc = outcome?.document else { return nil }
        let section: JSONDocument?
        if split == "test" || split == "val_best" { section = doc[split] } else { section = doc["val"]?[split] }
        if case let .number(v)? = section?[key] { return v }
        return nil
    }

    /// The `val` entries of a run, in grid order: (coefficient label, metrics).
    public static func validationCurve(_ outcome: RunOutcome, metric: String) -> [(label: String, value: Double)] {
        guard case let .object(entries)? = outcome.document["val"] else { return [] }
        return entries.compactMap { e in
            if case let .number(v)? = e.value[metric] { return (e.key, v) }
            return nil
        }
    }
}
