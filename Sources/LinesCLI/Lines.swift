import ArgumentParser
import Checkpoints
import Foundation

@main
struct Lines: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lines",
        abstract: "Post-training layer scaling (LiNeS) and model merging for fine-tuned networks.",
        version: LinesVersion.string,
        subcommands: [Inspect.self, Convert.self, Edit.self, Merge.self, Masks.self, Embed.self, Predict.self, Tokenize.self, Heads.self, Finetune.self, Run.self, Eval.self, Demo.self, DatasetsCommand.self, Download.self]
    )

    /// Parses and runs the command; an error is reported as ``report(for:)`` says.
    static func main() async {
        // Swift decodes argv leniently (a non-UTF-8 byte becomes U+FFFD), which would turn a
        // real file name into "no such file": say what is wrong instead.
        for i in stride(from: 1, to: Int(CommandLine.argc), by: 1) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            if String(validating: bytes, as: UTF8.self) == nil {
                let shown = bytes.map { (0x20..<0x7F).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
                FileHandle.standardError.write(Data("Error: argument \(i) (\(shown)) is not valid UTF-8; Lines reads paths and values as UTF-8 (rename the file, or pass it through a symlink with a UTF-8 name)\n".utf8))
                Foundation.exit(64)
            }
        }
        // An input that shrinks while memory-mapped reads as zeros instead of killing the
        // process (SIGBUS); no output is committed from it and the command fails.
        AtomicFile.beforeCommit = { try MappedFile.checkNoneTruncated() }
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            try MappedFile.checkNoneTruncated()
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
        // Names from hostile files are quoted in messages: no terminal escapes, one line.
        return (CheckpointSummary.printable(line), code)
    }
}

/// The version `lines --version` prints.
enum LinesVersion {
    static let string = "0.13.0"
}
