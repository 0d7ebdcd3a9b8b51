/// Where a task's class names come from, as the reference builds its zero-shot heads.
public enum ClassNames: Sendable, Equatable {
    /// A list the reference (or torchvision) hard-codes, index = label.
    case fixed([String])
    /// Several names per class, the first being the main one (the reference's FER2013).
    case synonyms([[String]])
    /// Read from the data itself, as the reference does (folder names, a `meta` file); the text
    /// says which file or rule.
    case fromData(String)

    /// The main name of each class, when the names ship with the code.
    public var shipped: [String]? {
        switch self {
        case .fixed(let names): return names
        case .synonyms(let names): return names.map { $0.first ?? "" }
        case .fromData: return nil
        }
    }
}
