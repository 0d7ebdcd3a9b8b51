/// A task's data in the reference's three splits, with its class names.
///
/// `train` and `val` are the reference's `XVal` (a ``RandomSplit`` of the official training
/// set, seed 0, val = min(10 %, 5000)); `test` is the official test split. EuroSAT's three splits
/// come from its own folders instead. Samples decode lazily (``TaskSample/decode()``).
public struct TaskDataset: Sendable {
    /// The task.
    public var task: TaskName
    /// Class names in label order.
    public var classNames: [String]
    /// The official training set, in the reference's order (the set `random_split` is applied to).
    public var trainingSet: [TaskSample]
    /// The official test set, in the reference's order.
    public var testSet: [TaskSample]
    /// Indices into ``trainingSet`` of the `XVal` train part, in `random_split`'s order.
    public var trainIndices: [Int]
    /// Indices of the `XVal` validation part: into ``trainingSet``, or, for a task with its own
    /// validation folder (EuroSAT), into ``validationSet``.
    public var valIndices: [Int]
    /// A dedicated validation set (EuroSAT's `val` folder), `nil` when validation is split off the training set.
    public var validationSet: [TaskSample]?

    /// A task whose validation set is split off its training set exactly as the reference does.
    public init(task: TaskName, classNames: [String], trainingSet: [TaskSample], testSet: [TaskSample]) {
        let split = RandomSplit(count: trainingSet.count)
        self.task = task
        self.classNames = classNames
        self.trainingSet = trainingSet
        self.testSet = testSet
        self.trainIndices = split.train
        self.valIndices = split.validation
        self.validationSet = nil
    }

    /// A task with three dedicated splits (EuroSAT's folders).
    public init(task: TaskName, classNames: [String], train: [TaskSample], validation: [TaskSample], test: [TaskSample]) {
        self.task = task
        self.classNames = classNames
        self.trainingSet = train
        self.testSet = test
        self.trainIndices = Array(train.indices)
        self.valIndices = Array(validation.indices)
        self.validationSet = validation
    }

    /// The samples of `split`, in the order the reference's loader visits them (unshuffled).
    public func samples(_ split: DatasetSplit) -> [TaskSample] {
        switch split {
        case .train: return trainIndices.map { trainingSet[$0] }
        case .val:
            if let validationSet { return valIndices.map { validationSet[$0] } }
            return valIndices.map { trainingSet[$0] }
        case .test: return testSet
        }
    }

    /// The number of samples in `split`.
    public func count(_ split: DatasetSplit) -> Int {
        switch split {
        case .train: return trainIndices.count
        case .val: return valIndices.count
        case .test: return testSet.count
        }
    }

    /// The indices that define `split`: into the official training set for `train` and `val`
    /// (into the validation folder for EuroSAT's `val`), `0 ..< n` for `test`.
    public func indices(_ split: DatasetSplit) -> [Int] {
        switch split {
        case .train: return trainIndices
        case .val: return valIndices
        case .test: return Array(testSet.indices)
        }
    }

    /// Throws unless `val` and `test` have the sizes the reference's result files imply
    /// (``TaskName/referenceSizes``): numbers computed on other splits are not comparable.
    /// - Throws: ``DatasetError/splitSize(task:split:expected:found:)`` for the first split that differs.
    public func checkReferenceSizes() throws {
        guard let ref = task.referenceSizes else { return }
        for (split, expected) in [(DatasetSplit.val, ref.val), (.test, ref.test)] where count(split) != expected {
            throw DatasetError.splitSize(task: task.rawValue, split: split.rawValue, expected: expected, found: count(split))
        }
    }

    /// Checksum of an index list: Σ (i + 1) · indices[i], in wrapping Int64
    /// (numpy: `int((np.arange(1, n + 1, dtype=np.int64) * idx).sum())`).
    public static func checksum(_ indices: [Int]) -> Int64 {
        var sum: Int64 = 0
        for (i, v) in indices.enumerated() { sum &+= Int64(i + 1) &* Int64(v) }
        return sum
    }
}
