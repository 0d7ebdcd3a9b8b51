import ArgumentParser
import Checkpoints
import Foundation
import Testing
@testable import LinesCLI
import TestSupport

@Suite("lines: errors and --version")
struct ErrorReportTests {
    @Test("a validation error is one line, without the usage banner", arguments: [
        ["merge", "--method", "ties", "--pretrained", "/nonexistent/p.safetensors", "--finetuned", "/nonexistent/a.safetensors", "-o", "/tmp/x.safetensors", "--k", "0"],
        ["merge", "--method", "nope"],
        ["merge", "--method", "ties"],
        ["tokenize", "--bpe", "/nonexistent/bpe.txt.gz", "a cat"],
    ])
    func oneSentence(arguments: [String]) throws {
        var failure: Error?
        do {
            var command = try Lines.parseAsRoot(arguments)
            try command.validate()
        } catch { failure = error }
        let error = try #require(failure)
        let (text, code) = Lines.report(for: error)
        #expect(code != 0)
        #expect(text.hasPrefix("Error: "))
        #expect(!text.contains("\n"), "\(text)")
        #expect(!text.contains("Usage:"))
        // ArgumentParser's own report of the same error carries the banner.
        #expect(Lines.fullMessage(for: error).contains("Usage:") || Lines.fullMessage(for: error) == Lines.message(for: error))
    }

    @Test("negative values parse where they mean something; non-finite ones are one sentence naming the flag")
    func numbers() throws {
        let merge = try #require(try Lines.parseAsRoot(["merge", "--method", "sum", "--coefficient", "-0.5", "--pretrained", "p", "--finetuned", "a", "-o", "o"]) as? Merge)
        #expect(merge.coefficient == -0.5)
        let edit = try #require(try Lines.parseAsRoot(["edit", "--alpha", "-0.25", "--beta", "-1", "--coefficient", "-2", "--pretrained", "p", "--finetuned", "a", "-o", "o"]) as? Edit)
        #expect(edit.alpha == -0.25 && edit.beta == -1 && edit.coefficient == -2)
        for (args, flag) in [(["merge", "--method", "sum", "--lines", "--beta", "nan"], "--beta"),
                             (["merge", "--method", "sum", "--coefficient", "inf"], "--coefficient"),
                             (["merge", "--method", "consensus", "--tall-lambda", "nan"], "--tall-lambda"),
                             (["edit", "--gamma", "inf"], "--gamma"),
                             (["masks", "--tall-lambda", "nan"], "--tall-lambda")] {
            var failure: Error?
            do {
                var c = try Lines.parseAsRoot(args + ["--pretrained", "p", "--finetuned", "a", "-o", "o"])
                try c.validate()
            } catch { failure = error }
            let (text, code) = Lines.report(for: try #require(failure, "\(args)"))
            #expect(code == 64 && text.contains(flag) && text.contains("finite"), "\(text)")
        }
    }

    @Test("lines --version prints the version and exits 0; --help still prints the usage")
    func versionAndHelp() throws {
        guard let lines = linesExecutable() else { return }
        #expect(try LinesProcess.run(lines, ["--version"]) == (0, LinesVersion.string + "\n", ""))
        let (code, help, _) = try LinesProcess.run(lines, ["merge", "--help"])
        #expect(code == 0)
        #expect(help.contains("USAGE: lines merge"))
    }

    @Test("success that is not: predict on a folder with no image, every image skipped, a mask file named .txt")
    func nothingDone() throws {
        guard let lines = linesExecutable() else { return }
        let clip = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/clip")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-nothing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = clip.appendingPathComponent("vit_quickgelu.safetensors").path, head = clip.appendingPathComponent("vit_quickgelu_head.safetensors").path
        let (c1, _, e1) = try LinesProcess.run(lines, ["predict", "--model", model, "--head", head, dir.path])
        #expect(c1 != 0 && e1.contains("no image files found"))
        try Data("{}".utf8).write(to: dir.appendingPathComponent("bad.jpg"))
        let (c2, _, e2) = try LinesProcess.run(lines, ["predict", "--model", model, "--head", head, "--skip-bad-images", dir.path])
        #expect(c2 != 0 && e2.contains("none of the 1 images could be read"))
        let (c3, _, e3) = try LinesProcess.run(lines, ["masks", "--pretrained", model, "--finetuned", model, "-o", dir.appendingPathComponent("m.txt").path])
        #expect(c3 == 64 && e3.contains(".npy") && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.txt").path))
    }

    @Test("a non-UTF-8 argument is named as such, not as a missing file; control characters in messages are escaped")
    func encodings() throws {
        guard let lines = linesExecutable() else { return }
        let (code, _, err) = try LinesProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" inspect \"$(printf 'a\\377b.pt')\"", lines.path])
        #expect(code == 64 && err.contains("not valid UTF-8") && err.contains("a\\xffb.pt"), "\(err)")
        #expect(CheckpointSummary.printable("w\u{1B}[2J\u{202E}x\ny") == "w\\u{1b}[2J\\u{202e}x\\u{a}y")
        let (text, _) = Lines.report(for: ValidationError("tensor 'a\u{1B}]0;pwned\u{7}' is bad"))
        #expect(!text.contains("\u{1B}") && text.contains("\\u{1b}"))
    }

    @Test("the lines executable prints a failure as one line on stderr, with exit status 64")
    func executableOneLine() throws {
        guard let lines = linesExecutable() else { return }
        let (code, out, err) = try LinesProcess.run(lines, ["merge", "--method", "ties", "--k", "0", "--pretrained", "a", "--finetuned", "b", "-o", "c"])
        #expect(code == 64)
        #expect(err == "Error: --k must be a percentage in (0, 100]; got 0.0\n")
        #expect(out.isEmpty)
    }
}
