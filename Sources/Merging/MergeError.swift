import Foundation

/// Everything that can be wrong with a merge request, said in one sentence naming what to fix.
public enum MergeError: Error, Equatable, CustomStringConvertible {
    /// A key is in one checkpoint but not in another.
    case missingKey(key: String, presentIn: String, missingFrom: String)
    /// A tensor's shape differs between two checkpoints.
    case shapeMismatch(key: String, expected: [Int], found: [Int], reference: String, file: String)
    /// A tensor's dtype differs between two checkpoints.
    case dtypeMismatch(key: String, expected: String, found: String, reference: String, file: String)
    /// A tensor's dtype cannot be read as numbers.
    case unsupportedDType(key: String, dtype: String, file: String)
    /// `--k` is outside (0, 100].
    case invalidTopK(Double)
    /// No fine-tuned checkpoint was given.
    case noTasks
    /// Two fine-tuned checkpoints got the same task name.
    case duplicateTask(String)
    /// A mask file does not hold masks for the tasks being merged.
    case maskTasksMismatch(file: String, expected: [String], found: [String])
    /// A mask file's packed length does not fit the model's parameter count.
    case maskSizeMismatch(file: String, task: String, expectedBytes: Int, foundBytes: Int, parameters: Int)
    /// A mask file cannot be read or written.
    case maskFile(path: String, reason: String)
    /// The number of TALL λ values is neither 1 nor the number of tasks.
    case tallLambdaCount(given: Int, tasks: Int)
    /// LiNeS needs residual blocks and none were found.
    case noResidualBlocks(pattern: String?)
    /// An option that does not apply to the method, or a bad combination.
    case invalidOption(String)
    /// A merge configuration (mergekit YAML) that Lines cannot run, naming the key.
    case badConfig(file: String, reason: String)

    public var description: String {
        switch self {
        case let .missingKey(k, p, m):
            return "tensor '\(k)' is in \(p) but not in \(m); all checkpoints must have the same keys"
        case let .shapeMismatch(k, e, f, r, file):
            return "tensor '\(k)' has shape \(f) in \(file) but \(e) in \(r); all checkpoints must have the same shapes"
        case let .dtypeMismatch(k, e, f, r, file):
            return "tensor '\(k)' has dtype \(f) in \(file) but \(e) in \(r); all checkpoints must have the same dtypes (convert them with `lines convert --dtype`)"
        case let .unsupportedDType(k, d, file):
            return "tensor '\(k)' in \(file) has dtype \(d), which cannot be merged (supported: F32, F16, BF16, F64 and integer types)"
        case let .invalidTopK(k):
            return "--k must be a percentage in (0, 100] (the share of largest-magnitude entries kept per task); got \(k)"
        case .noTasks:
            return "give at least one fine-tuned checkpoint with --finetuned"
        case let .duplicateTask(n):
            return "two fine-tuned checkpoints are both named '\(n)'; name them with NAME=PATH"
        case let .maskTasksMismatch(f, e, found):
            return "mask file \(f) holds masks for \(found) but the merge has tasks \(e); build masks for these tasks with `lines masks`"
        case let .maskSizeMismatch(f, t, e, found, n):
            return "mask '\(t)' in \(f) has \(found) packed bytes but a model with \(n) parameters needs \(e); the masks were built for another model size"
        case let .maskFile(p, r):
            return "\(p): \(r)"
        case let .tallLambdaCount(g, t):
            return "--tall-lambda takes one value or one per task: got \(g) values for \(t) tasks"
        case let .noResidualBlocks(p):
            if let p { return "--layer-pattern '\(p)' matches no tensor name, so LiNeS has no residual blocks to scale" }
            return "no residual blocks were recognised in the tensor names; pass --layer-pattern with one capture group for the block index (e.g. 'layers\\.(\\d+)\\.')"
        case let .invalidOption(s):
            return s
        case let .badConfig(file, reason):
            return "\(file): \(reason)"
        }
    }
}
