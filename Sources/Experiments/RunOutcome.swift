import Foundation

/// What a finished run produced.
public struct RunOutcome: Sendable {
    /// The results document, `{"test": …, "val": {coef: …}, "val_best": …}`.
    public var document: JSONDocument
    /// The selected coefficient's label (`0.3`, `loaded_mask`, or per-task λ for TALL masks).
    public var selected: String
    /// The results file (spec §3.4).
    public var resultURL: URL
    /// The copy in the Hydra-style run folder.
    public var logCopyURL: URL
    /// The CSV next to the results file.
    public var csvURL: URL
    /// TALL masks written by `tall_mask`, if any.
    public var masksURL: URL?
    /// Evaluations taken from the journal of an earlier, interrupted run.
    public var resumed: Int
    /// LiNeS's α (merging: the norm ratio / T), when the run applied LiNeS to a merge.
    public var linesAlpha: Double?
    /// L, the number of residual blocks LiNeS scaled over, when it applied LiNeS.
    public var layerCount: Int?
}
