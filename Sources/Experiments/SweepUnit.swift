/// One independent piece of a run, the grain a scheduler runs (`lines run … --unit N`).
///
/// A validation unit evaluates every task's validation split at one coefficient: the model is
/// built once per unit (θ0 + the scaled task vector, the costly step), and each split is decoded
/// once (or read from the decode cache), so no work is repeated inside a unit and units share
/// nothing but read-only inputs. The last unit selects the coefficient from all validation
/// results and evaluates the test splits there, as the reference does; it depends on all others.
public struct SweepUnit: Sendable, Equatable, Codable {
    /// What a unit does.
    public enum Kind: String, Sendable, Codable {
        /// The validation evaluations at one coefficient.
        case validation
        /// Selection on validation, then the test splits at the chosen value (and the results files).
        case selection
    }

    /// Its index: validation units `0..<V` in grid order, the selection unit `V`.
    public var index: Int
    public var kind: Kind
    /// The coefficient's label as the results file writes it (`0.3`, `loaded_mask`); empty for selection.
    public var label: String
    /// The journal keys of its evaluations (validation units; empty for selection).
    public var keys: [String]

    /// A short description (`validation at 0.3`, `selection + test`).
    public var summary: String {
        kind == .selection ? "selection + test" : "validation at \(label)"
    }
}

extension ExperimentConfig {
    /// The labels of the validation coefficients, in the order the run evaluates them.
    public var validationLabels: [String] {
        if method == .tallMask && loadMask { return ["loaded_mask"] }
        return CoefficientGrid.values(for: self).map(pythonRepr)
    }

    /// The run's units: one per validation coefficient, then the selection + test unit.
    public var sweepUnits: [SweepUnit] {
        let labels = validationLabels
        var units = labels.enumerated().map { i, label in
            SweepUnit(index: i, kind: .validation, label: label,
                      keys: datasets.map { RunJournal.key(phase: "val", label: label, task: Metrics.datasetName($0, validation: true)) })
        }
        units.append(SweepUnit(index: labels.count, kind: .selection, label: "", keys: []))
        return units
    }
}
