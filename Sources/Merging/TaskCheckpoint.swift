import Foundation

/// A fine-tuned checkpoint and the task it was fine-tuned on.
public struct TaskCheckpoint: Sendable, Equatable {
    /// The task name, e.g. `EuroSAT` (used as the key of TALL mask files).
    public var name: String
    /// Where the checkpoint is.
    public var url: URL

    /// Creates a named task checkpoint.
    public init(name: String, url: URL) {
        self.name = name
        self.url = url
    }

    /// Parses a command-line argument: `NAME=PATH`, or a path in the reference layout
    /// (`.../EuroSATVal/nonlinear_finetuned.pt` → `EuroSAT`), or any other path (its file name
    /// without extension, or its folder name for `model.safetensors`-like names).
    public init(argument: String) {
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/"), eq != argument.startIndex {
            self.init(name: String(argument[..<eq]), url: URL(fileURLWithPath: String(argument[argument.index(after: eq)...])))
            return
        }
        let url = URL(fileURLWithPath: argument)
        self.init(name: TaskCheckpoint.taskName(for: url), url: url)
    }

    /// The task name a path implies (see ``init(argument:)``).
    public static func taskName(for url: URL) -> String {
        let file = url.deletingPathExtension().lastPathComponent
        let folder = url.deletingLastPathComponent().lastPathComponent
        let generic = ["nonlinear_finetuned", "finetuned", "linear_finetuned", "model", "pytorch_model", "checkpoint"]
        var name = generic.contains(file) && !folder.isEmpty && folder != "/" ? folder : file
        if name.hasSuffix("Val"), name.count > 3 { name.removeLast(3) }
        return name
    }
}
