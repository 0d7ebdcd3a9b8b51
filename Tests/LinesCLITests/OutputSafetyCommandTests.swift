import Checkpoints
import Foundation
import Tensors
import Testing
import TestSupport

/// The output discipline seen from the command line: foreign files are kept unless `--force`, and
/// an input truncated while it is read fails the command with nothing written.
@Suite("outputs from the command line", .serialized)
struct OutputSafetyCommandTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-outcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("merge, convert and edit keep an existing non-checkpoint output unless --force, and overwrite their own")
    func force() throws {
        guard let lines = linesExecutable() else { return }
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = [Float](repeating: 1, count: 16).withUnsafeBytes { [UInt8]($0) }
        let p0 = dir.appendingPathComponent("p.safetensors"), a = dir.appendingPathComponent("a.safetensors")
        try SafetensorsWriter.save([("model.visual.transformer.resblocks.0.mlp.c_fc.weight", StoredTensor(dtype: .f32, shape: [16], data: bytes))], to: p0)
        try SafetensorsWriter.save([("model.visual.transformer.resblocks.0.mlp.c_fc.weight", StoredTensor(dtype: .f32, shape: [16], data: bytes.map { $0 == 0 ? 0 : $0 }))], to: a)
        let report = dir.appendingPathComponent("report.safetensors")
        let text = "results I want to keep\n"
        let commands: [[String]] = [
            ["merge", "--method", "sum", "--pretrained", p0.path, "--finetuned", a.path, "-o", report.path],
            ["convert", a.path, report.path],
            ["edit", "--pretrained", p0.path, "--finetuned", a.path, "--alpha", "0.5", "--beta", "0.5", "-o", report.path],
        ]
        for args in commands {
            try Data(text.utf8).write(to: report)
            let refused = try LinesProcess.run(lines, args)
            #expect(refused.status != 0, "\(args[0])")
            #expect(refused.stderr.contains("is not a checkpoint (it starts with the text \"results I want t\")"), "\(args[0]): \(refused.stderr)")
            #expect(refused.stderr.contains("--force"))
            #expect(try String(contentsOf: report, encoding: .utf8) == text)
            let forced = try LinesProcess.run(lines, args + ["--force"])
            #expect(forced.status == 0, "\(args[0]): \(forced.stderr)")
            #expect(try SafetensorsFile(url: report).tensors.count == 1)
            // Its own output is a checkpoint: the same command runs again without --force.
            let again = try LinesProcess.run(lines, args)
            #expect(again.status == 0, "\(args[0]): \(again.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".lines-tmp-") }.isEmpty)
    }

    @Test("an input truncated while convert reads it: the command fails naming it, nothing is written, no SIGBUS")
    func truncatedInput() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let dir = try folder()
        defer { try? fm.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.safetensors")
        // 256 MiB of f32, cast to f16 on the way: long enough to stop it mid-way.
        let tensor = [Float](repeating: 0.5, count: 1 << 20).withUnsafeBytes { [UInt8]($0) }
        try SafetensorsWriter.save((0..<64).map { ("t\($0)", StoredTensor(dtype: .f32, shape: [1 << 20], data: tensor)) }, to: input)
        let out = dir.appendingPathComponent("out.safetensors")
        let p = Process()
        p.executableURL = lines
        p.arguments = ["convert", input.path, out.path, "--dtype", "f16"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        var staged = false
        for _ in 0..<20_000 where !staged && p.isRunning {
            staged = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).contains { $0.hasPrefix(".out.safetensors.lines-tmp-") }
            if !staged { usleep(500) }
        }
        kill(p.processIdentifier, SIGSTOP)
        let stillRunning = p.isRunning
        #expect(truncate(input.path, 1 << 20) == 0)
        kill(p.processIdentifier, SIGCONT)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard staged, stillRunning else {
            Issue.record("convert finished before it could be stopped (staged: \(staged)); the test needs a larger input on this machine")
            return
        }
        #expect(p.terminationReason == .exit, "killed by signal \(p.terminationStatus)")
        #expect(p.terminationStatus == 1)
        #expect(message.contains("\(input.path): the file was truncated while Lines was reading it (1048576 bytes now"), "\(message)")
        #expect(!fm.fileExists(atPath: out.path))
        #expect(try fm.contentsOfDirectory(atPath: dir.path) == ["in.safetensors"])
    }
}
