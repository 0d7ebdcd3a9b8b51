/// Why a run cannot start or go on. Every message is one sentence that names the key, file or
/// task at fault and what was expected.
public enum ExperimentError: Error, Equatable, CustomStringConvertible {
    /// A command-line override is not `key=value`.
    case malformedOverride(String)
    /// A key that the configuration does not have (with the closest one, if any).
    case unknownKey(String, suggestion: String?)
    /// `method=NAME` names no method.
    case unknownMethod(String, known: [String])
    /// A key has a value of the wrong kind.
    case badValue(key: String, value: String, expected: String)
    /// A config file could not be read or parsed.
    case badConfigFile(path: String, reason: String)
    /// A checkpoint, head, mask or results file the run needs is missing.
    case missingFile(what: String, lookedFor: [String])
    /// A dataset could not be loaded.
    case dataset(task: String, reason: String)
    /// A combination of settings the reference does not define.
    case unsupported(String)
    /// Selection found no coefficient (every score was 0 or less, as the reference's
    /// `find_optimal_coef` starting from 0 would fail too).
    case noSelection(metric: String)
    /// The selection unit of a sweep ran before these validation units finished.
    case unitsMissing([Int], folder: String)
    /// A sweep cannot be submitted, run or followed (scheduler missing or refusing, plan absent
    /// or for another configuration, a second sweep on the same results file).
    case sweep(String)

    public var description: String {
        switch self {
        case let .malformedOverride(s):
            return "Override '\(s)' is not of the form key=value (e.g. method=ties, method.k=20, +method.apply_lines=false)."
        case let .unknownKey(k, s):
            return "Unknown config key '\(k)'" + (s.map { "; did you mean '\($0)'?" } ?? ".") + " (lines run --cfg prints every key)"
        case let .unknownMethod(m, known):
            return "Unknown method '\(m)'; the methods are \(known.joined(separator: ", "))."
        case let .badValue(k, v, e):
            return "Config key '\(k)' is '\(v)', expected \(e)."
        case let .badConfigFile(p, r):
            return "Cannot read config file \(p): \(r)."
        case let .missingFile(what, paths):
            return "Missing \(what): looked for \(paths.joined(separator: " and "))."
        case let .dataset(task, reason):
            return "Dataset \(task) cannot be used: \(reason)"
        case let .unsupported(s):
            return s
        case let .noSelection(metric):
            return "No coefficient has a positive \(metric) on validation, so none can be selected (the reference would fail here too)."
        case let .unitsMissing(units, folder):
            let list = units.prefix(8).map(String.init).joined(separator: ", ") + (units.count > 8 ? ", …" : "")
            return "The selection needs every validation unit, and \(units.count) \(units.count == 1 ? "has" : "have") not finished (unit\(units.count == 1 ? "" : "s") \(list)); run them first (lines run … --status shows them; \(folder))."
        case let .sweep(s):
            return s
        }
    }
}
