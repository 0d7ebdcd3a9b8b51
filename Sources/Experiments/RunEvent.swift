/// What a run reports while it works, for progress bars and logs.
public enum RunEvent: Sendable {
    /// A line of information (what was found, what is computed next).
    case note(String)
    /// An evaluation starts: `label` is the coefficient (or `baseline`, `test`), `images` the split size.
    case started(label: String, dataset: String, images: Int)
    /// Images done of the evaluation in progress.
    case progress(done: Int, total: Int)
    /// An evaluation finished (or was found in the journal, `cached`).
    case finished(label: String, dataset: String, top1: Double, imagesPerSecond: Double?, cached: Bool)
}
