import Experiments
import Foundation
import Testing

@Suite("resuming a killed run", .serialized)
struct ResumeTests {
    final class Counter: @unchecked Sendable {
        var computed = 0
        var cached = 0
        func handle(_ e: RunEvent) {
            if case let .finished(label, _, _, _, wasCached) = e, label != "fine-tuned", label != "zero-shot" {
                if wasCached { cached += 1 } else { computed += 1 }
            }
        }
    }

    func run(_ ws: Workspace, _ extra: [String], _ counter: Counter) throws -> RunOutcome {
        let runner = ExperimentRunner(config: try ws.config(extra))
        runner.onEvent = { counter.handle($0) }
        return try runner.run()
    }

    @Test("a journal cut anywhere (even mid-line) resumes to the same results file, evaluating only what is missing")
    func truncatedJournal() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let args = ["method=ties", "method.apply_lines=true"]
        let first = Counter()
        let outcome = try run(ws, args, first)
        let full = try String(contentsOf: outcome.resultURL, encoding: .utf8)
        #expect(full == (try expectedResult("ties_lines")))
        #expect(first.computed == 15 * 4 + 4 && first.cached == 0)

        let journal = ws.root.appendingPathComponent("logs/.journal/tiny_4tasks_ties_k=20_merged__lines.jsonl")
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + 64)
        // Keep the header and 23 results, then half of the 24th line, as a kill mid-write leaves it.
        let torn = lines[0...23].joined(separator: "\n") + "\n" + lines[24].prefix(lines[24].count / 2)
        try torn.write(to: journal, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: outcome.resultURL)

        let second = Counter()
        let again = try run(ws, args, second)
        #expect(again.resumed == 23)
        #expect(second.cached == 23 && second.computed == 64 - 23)
        #expect(try String(contentsOf: again.resultURL, encoding: .utf8) == full)
    }

    @Test("a journal from another configuration is set aside, not mixed in")
    func staleJournal() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let first = Counter()
        _ = try run(ws, ["specify_lambda=0.5"], first)
        // Same result file name, different selection grid: the fingerprint differs.
        let journal = ws.root.appendingPathComponent("logs/.journal/tiny_4tasks_sum_k=100_merged__.jsonl")
        let second = Counter()
        let outcome = try run(ws, [], second)
        #expect(second.cached == 0)
        #expect(FileManager.default.fileExists(atPath: journal.appendingPathExtension("stale").path))
        #expect(try String(contentsOf: outcome.resultURL, encoding: .utf8) == (try expectedResult("sum")))
    }
}

@Suite("preflight: configuration errors before any model is loaded")
struct PreflightTests {
    func message(_ ws: Workspace, _ extra: [String], edit: (Workspace) throws -> Void = { _ in }) throws -> String {
        try edit(ws)
        do {
            try ExperimentRunner(config: ws.config(extra)).preflight()
        } catch let e as ExperimentError {
            return e.description
        }
        return "no error"
    }

    @Test("a missing fine-tuned checkpoint names both files looked for")
    func missingCheckpoint() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let m = try message(ws, ["method=ties"]) { ws in
            try FileManager.default.removeItem(at: ws.modelLocation.appendingPathComponent("tiny/GTSRBVal/nonlinear_finetuned.safetensors"))
        }
        #expect(m == "Missing the fine-tuned model of GTSRB: looked for \(ws.modelLocation.path)/tiny/GTSRBVal/nonlinear_finetuned.pt and \(ws.modelLocation.path)/tiny/GTSRBVal/nonlinear_finetuned.safetensors.")
    }

    @Test("missing zero-shot model, head, masks and dataset")
    func missingOthers() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        #expect(try message(ws, ["method=consensus"]).hasPrefix("Missing the TALL masks (run method=tall_mask first): looked for \(ws.root.path)/tall_masks/tiny/TALL_mask_4task.npy"))
        #expect(try message(ws, ["DATASETS=[EuroSAT,DTD]"]).hasPrefix("Missing the fine-tuned model of DTD: looked for"))
        let head = ws.modelLocation.appendingPathComponent("tiny/head_KMNISTVal.safetensors")
        try FileManager.default.moveItem(at: head, to: head.appendingPathExtension("away"))
        #expect(try message(ws, []) == "Missing the classification head of KMNIST (or set clip_checkpoint=PATH, a CLIP checkpoint with its text tower, to build it from the task's templates): looked for \(ws.modelLocation.path)/tiny/head_KMNISTVal.pt and \(head.path).")
        try FileManager.default.moveItem(at: head.appendingPathExtension("away"), to: head)
        #expect(try message(ws, ["model=ViT-B-32"]).hasPrefix("Missing the zero-shot model (model=ViT-B-32"))
        let noData = try message(ws, ["data_location=\(ws.root.path)/nowhere"])
        #expect(noData.hasPrefix("Dataset EuroSAT cannot be used: "), "\(noData)")
        #expect(noData.contains("\(ws.root.path)/nowhere"))
    }
}
