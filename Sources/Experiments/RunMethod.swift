/// The `method=` values of the reference's `main.py` (spec §2.2).
public enum RunMethod: String, CaseIterable, Sendable {
    case zeroshot
    case singleTask = "single_task"
    case sum
    case average
    case ties
    case consensus
    case tallMask = "tall_mask"
    case magMasking = "mag_masking"

    /// Whether `method.apply_lines` means anything for it.
    public var supportsLiNeS: Bool {
        switch self {
        case .singleTask, .sum, .ties, .consensus: return true
        case .zeroshot, .average, .tallMask, .magMasking: return false
        }
    }
}
