import Merging

/// The `method=` values of the reference's `main.py` (spec §2.2): the protocols of their own
/// (zero-shot, single-task editing, TALL masks) and one per merge method of the registry, by its
/// ``MergeMethodInfo/runName``.
public enum RunMethod: Hashable, Sendable, CaseIterable, RawRepresentable {
    case zeroshot
    case singleTask
    case tallMask
    /// A merge method (`sum`, `ties`, `consensus`, `mag_masking`, …).
    case merge(MergeMethod)

    public static let sum = RunMethod.merge(.sum)
    public static let average = RunMethod.merge(.average)
    public static let ties = RunMethod.merge(.ties)
    public static let consensus = RunMethod.merge(.consensus)
    public static let magMasking = RunMethod.merge(.magMasking)

    public static var allCases: [RunMethod] { [.zeroshot, .singleTask] + MergeMethod.allCases.map { .merge($0) } + [.tallMask] }

    public init?(rawValue: String) {
        switch rawValue {
        case "zeroshot": self = .zeroshot
        case "single_task": self = .singleTask
        case "tall_mask": self = .tallMask
        default:
            guard let m = MergeMethod(runName: rawValue) else { return nil }
            self = .merge(m)
        }
    }

    public var rawValue: String {
        switch self {
        case .zeroshot: return "zeroshot"
        case .singleTask: return "single_task"
        case .tallMask: return "tall_mask"
        case let .merge(m): return m.info.runName
        }
    }

    /// The merge method, for the methods that are one.
    public var mergeMethod: MergeMethod? {
        if case let .merge(m) = self { return m }
        return nil
    }

    /// Whether `method.apply_lines` means anything for it.
    public var supportsLiNeS: Bool {
        switch self {
        case .singleTask: return true
        case .zeroshot, .tallMask: return false
        case let .merge(m): return m.info.linesApplies
        }
    }
}
