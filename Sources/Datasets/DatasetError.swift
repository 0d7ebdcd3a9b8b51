/// Why a task's data could not be read; every case names the task or the file, and what was expected.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file or folder the task's layout needs is absent.
    case missing(task: String, path: String, expected: String)
    /// A file could not be read (permissions, I/O error).
    case unreadable(file: String, reason: String)
    /// A gzip stream is damaged or truncated.
    case corruptGzip(file: String, reason: String)
    /// An IDX file's header or size is wrong.
    case malformedIDX(file: String, offset: Int, reason: String)
    /// A MATLAB `.mat` (level 5) file is malformed or uses a feature Lines does not read.
    case malformedMAT(file: String, offset: Int, reason: String)
    /// An HDF5 file cannot be opened or does not hold the expected dataset.
    case malformedHDF5(file: String, reason: String)
    /// A text split/annotation file has a bad line (`line` counts from 1).
    case malformedText(file: String, line: Int, reason: String)
    /// Two files that must agree do not (image count vs label count, split file vs folder).
    case countMismatch(task: String, file: String, expected: Int, found: Int, what: String)
    /// A split's size differs from the one the reference's results imply (spec §3.2).
    case splitSize(task: String, split: String, expected: Int, found: Int)
    /// A label is outside `0 ..< classCount`.
    case labelOutOfRange(task: String, file: String, index: Int, label: Int, classCount: Int)
    /// A Python pickle (CIFAR batch) does not hold what the layout promises.
    case malformedPickle(file: String, reason: String)
    /// The task is known but its on-disk format is not read by this version of Lines.
    case unsupportedTask(task: String, reason: String)
    /// A task name that is not one of the 20.
    case unknownTask(String)

    /// One sentence naming the task or file, what is wrong and what was expected.
    public var description: String {
        switch self {
        case let .missing(task, path, expected):
            return "\(task): \(path) does not exist; expected \(expected)."
        case let .unreadable(file, reason):
            return "cannot read \(file): \(reason)."
        case let .corruptGzip(file, reason):
            return "gzip file \(file) is damaged: \(reason)."
        case let .malformedIDX(file, offset, reason):
            return "IDX file \(file) is malformed at byte \(offset): \(reason)."
        case let .malformedMAT(file, offset, reason):
            return "MAT-file \(file) is malformed at byte \(offset): \(reason)."
        case let .malformedHDF5(file, reason):
            return "HDF5 file \(file): \(reason)."
        case let .malformedText(file, line, reason):
            return "\(file), line \(line): \(reason)."
        case let .countMismatch(task, file, expected, found, what):
            return "\(task): \(file) has \(found) \(what), expected \(expected) (a partial download?)."
        case let .splitSize(task, split, expected, found):
            return "\(task): the \(split) split has \(found) samples, the reference's has \(expected); the data folder is not the one the reference used (or is incomplete)."
        case let .labelOutOfRange(task, file, index, label, classCount):
            return "\(task): label \(label) of item \(index) in \(file) is outside 0..<\(classCount)."
        case let .malformedPickle(file, reason):
            return "pickle \(file) is not a CIFAR batch: \(reason)."
        case let .unsupportedTask(task, reason):
            return "\(task) cannot be read by this version of Lines: \(reason)."
        case let .unknownTask(name):
            return "unknown task '\(name)'; the tasks are \(TaskName.allCases.map(\.rawValue).joined(separator: ", "))."
        }
    }
}
