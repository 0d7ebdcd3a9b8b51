import ArgumentParser
import Foundation

@main
struct Lines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lines",
        abstract: "Post-training layer scaling (LiNeS) and model merging for fine-tuned networks.",
        version: LinesVersion.string,
        subcommands: [Inspect.self, Convert.self, Edit.self, Merge.self, Masks.self, Embed.self, Predict.self, Tokenize.self, Heads.self, Finetune.self, Run.self, Eval.self, Demo.self, DatasetsCommand.self]
    )

    /// Parses and runs the command; an error is reported as ``report(for:)`` says.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            let r = report(for: error)
            if !r.text.isEmpty {
                FileHandle(fileDescriptor: r.code == 0 ? 1 : 2).write(Data((r.text + "\n").utf8))
            }
            Foundation.exit(r.code)
        }
    }

    /// What `lines` prints for `error`, and its exit status: help and `--version` as
    /// ArgumentParser writes them (to stdout, status 0); any failure as one line,
    /// `Error: <sentence>`, without the usage banner ArgumentParser adds to validation errors
    /// (`lines <command> --help` still shows it).
    static func report(for error: Error) -> (text: String, code: Int32) {
        let code = exitCode(for: error).rawValue
        if code == 0 { return (fullMessage(for: error), 0) }
        let message = self.message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
        if message.isEmpty { return ("", code) }
        let line = message.hasPrefix("Error:") ? message : "Error: \(message)"
        return (line, code)
    }
}

/// The version `lines --version` prints.
enum LinesVersion {
    static let string = "0.13.0"
}
