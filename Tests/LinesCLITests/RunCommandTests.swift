import Foundation
import Testing
@testable import LinesCLI
import TestSupport

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

@Suite("lines run", .serialized)
struct RunCommandTests {
    @Test("--cfg prints the resolved configuration; bad keys are one sentence")
    func cfg() throws {
        let run = try Run.parseAsRoot(["--cfg", "method=ties", "method.apply_lines=TRUE"]) as? Run
        #expect(run?.printConfig == true)
        #expect(run?.overrides == ["method=ties", "method.apply_lines=TRUE"])
        let bad = try Run.parseAsRoot(["method.kk=2", "method=ties"]) as? Run
        #expect(throws: (any Error).self) { try bad?.run() }
        do { try bad?.run() } catch {
            #expect(Run.message(for: error) == "Unknown config key 'method.kk'; did you mean 'method.k'? (lines run --cfg prints every key)")
        }
    }

    @Test("a run killed with SIGKILL mid-grid, started again, writes the same results file")
    func killAndResume() throws {
        guard let lines = linesExecutable() else {
            Issue.record("the lines executable is not next to the test bundle")
            return
        }
        let ws = FileManager.default.temporaryDirectory.appendingPathComponent("lines-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: ws) }
        try FileManager.default.createDirectory(at: ws, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("runner/model_checkpoints"), to: ws.appendingPathComponent("model_checkpoints"))
        let args = ["run", "model=tiny", "DATASETS=[EuroSAT,GTSRB,CIFAR10,KMNIST]", "method=ties", "method.apply_lines=true",
                    "data_location=\(fixtures.appendingPathComponent("datasets/root").path)",
                    "model_location=\(ws.appendingPathComponent("model_checkpoints").path)",
                    "cache_dir=\(ws.appendingPathComponent("cache").path)", "results_location=\(ws.appendingPathComponent("results").path)",
                    "logs_location=\(ws.appendingPathComponent("logs").path)", "batch_size=1"]
        let journal = ws.appendingPathComponent("logs/.journal/tiny_4tasks_ties_k=20_merged__lines.jsonl")
        let result = ws.appendingPathComponent("results/merging_multi_task/tiny_4tasks_ties_k=20_merged__lines.json")

        func start() throws -> Process {
            try LinesProcess.start(lines, args)
        }
        func journalLines() -> Int {
            (try? String(contentsOf: journal, encoding: .utf8))?.split(separator: "\n").count ?? 0
        }
        let first = try start()
        let deadline = Date().addingTimeInterval(120)
        while first.isRunning && journalLines() < 1 + 12 && Date() < deadline { usleep(2_000) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let kept = journalLines() - 1
        #expect(kept >= 12 && kept < 64)
        #expect(!FileManager.default.fileExists(atPath: result.path))

        let second = try start()
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        let written = try String(contentsOf: result, encoding: .utf8)
        let expected = try String(contentsOf: fixtures.appendingPathComponent("runner/expected/ties_lines.json"), encoding: .utf8)
        #expect(written == expected)
    }

    @Test("lines eval prints the reference's key and the fine-tuned accuracy PyTorch measured; the head is found next to the model")
    func eval() throws {
        guard let lines = linesExecutable() else {
            Issue.record("the lines executable is not next to the test bundle")
            return
        }
        let facts = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("runner/expected/facts.json"))) as? [String: Any]
        let expected = (facts?["finetuned"] as? [String: Double])?["EuroSATVal"]
        let p = Process()
        p.executableURL = lines
        p.arguments = ["eval", "--model", fixtures.appendingPathComponent("runner/model_checkpoints/tiny/EuroSATVal/nonlinear_finetuned.pt").path,
                       "--task", "EuroSAT", "--split", "val", "--data-location", fixtures.appendingPathComponent("datasets/root").path,
                       "--cache-dir", FileManager.default.temporaryDirectory.appendingPathComponent("lines-eval-\(UUID().uuidString)").path, "--json"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Double]
        #expect(obj?["EuroSATVal:top1"] != nil && obj?["EuroSATVal:top1"] == expected, "\(text)")
    }
}
