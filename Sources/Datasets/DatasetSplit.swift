/// One of a task's three splits, in the reference's sense.
public enum DatasetSplit: String, CaseIterable, Sendable {
    /// The training part of `XVal` (the training set minus the validation indices).
    case train
    /// The validation part of `XVal`: `random_split` of the training set, seed 0 (EuroSAT: its `val` folder).
    case val
    /// The official test split (`X`'s test loader).
    case test
}
