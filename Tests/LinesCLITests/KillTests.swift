import Checkpoints
import Datasets
import Foundation
import Tensors
import Testing
import Training
import TestSupport

/// `kill -9` at random moments (seeded, bounded): an output is absent or complete, never torn,
/// and the next run leaves no temporary file behind.
@Suite("kill -9 during writes", .serialized)
struct KillTests {
    @Test("sharded convert killed at random moments: the folder is absent, or the old or the new checkpoint whole")
    func shardedConvert() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-kill-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        // 48 tensors of 1 MiB: a few hundred ms to convert into 4 MB shards.
        let input = dir.appendingPathComponent("in.safetensors")
        let tensors = (0..<48).map { i in ("t\(i)", StoredTensor(dtype: .u8, shape: [1 << 20], data: [UInt8](repeating: UInt8(i), count: 1 << 20))) }
        try SafetensorsWriter.save(tensors, to: input)
        let out = dir.appendingPathComponent("out")
        var rng = SeededRandom(seed: 20261202)
        var states: [String] = []
        for round in 0..<8 {
            // Alternate the split, so that a torn swap would mix two shard sets.
            let p = try LinesProcess.start(lines, ["convert", input.path, out.path, "--max-shard-size", round % 2 == 0 ? "4MB" : "6MB"])
            usleep(useconds_t(rng.int(below: 400_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if fm.fileExists(atPath: out.path) {
                let r = try Checkpoint.open(out)
                #expect(r.tensors.count == 48, "round \(round)")
                #expect(try r.read("t47").data.first == 47)
                states.append("whole")
            } else {
                states.append("absent")
            }
        }
        // A run to completion cleans up whatever the killed ones left.
        let p = Process()
        p.executableURL = lines
        p.arguments = ["convert", input.path, out.path, "--max-shard-size", "4MB"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try fm.contentsOfDirectory(atPath: dir.path).sorted() == ["in.safetensors", "out"], "\(states)")
        #expect(try Checkpoint.open(out).tensors.count == 48)
    }

    @Test("merge, masks and edit killed at random moments: the output is absent or whole; the next run leaves no temporary file",
          arguments: ["merge", "masks", "edit"])
    func singleFileOutputs(command: String) throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-kill-\(command)-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        func model(_ name: String, _ v: Float) throws -> URL {
            let url = dir.appendingPathComponent(name)
            let values = [Float](repeating: v, count: 1 << 20)
            let bytes = values.withUnsafeBytes { [UInt8]($0) }
            try SafetensorsWriter.save((0..<24).map { ("blocks.\($0 % 4).w\($0)", StoredTensor(dtype: .f32, shape: [1 << 20], data: bytes)) }, to: url)
            return url
        }
        let p0 = try model("p.safetensors", 0), a = try model("a.safetensors", 1), b = try model("b.safetensors", 2)
        let out = dir.appendingPathComponent(command == "masks" ? "m.npy" : "o.safetensors")
        let args = switch command {
        case "merge": ["merge", "--method", "sum", "--pretrained", p0.path, "--finetuned", a.path, b.path, "-o", out.path]
        case "edit": ["edit", "--pretrained", p0.path, "--finetuned", a.path, "--alpha", "0.5", "--beta", "0.5", "--layer-pattern", "blocks\\.(\\d+)\\.", "-o", out.path]
        default: ["masks", "--pretrained", p0.path, "--finetuned", a.path, b.path, "-o", out.path]
        }
        func start() throws -> Process { try LinesProcess.start(lines, args) }
        var rng = SeededRandom(seed: 7, command.count)
        for round in 0..<6 {
            let p = try start()
            usleep(useconds_t(rng.int(below: 300_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if fm.fileExists(atPath: out.path), command != "masks" {
                #expect(try SafetensorsFile(url: out).tensors.count == 24, "round \(round)")
            }
        }
        let p = try start()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try fm.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".lines-tmp-") }.isEmpty)
        #expect(fm.fileExists(atPath: out.path))
    }

    @Test("SIGTERM removes the temporary files of the write in progress")
    func sigterm() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-term-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.safetensors")
        let tensors = (0..<64).map { i in ("t\(i)", StoredTensor(dtype: .u8, shape: [1 << 20], data: [UInt8](repeating: 1, count: 1 << 20))) }
        try SafetensorsWriter.save(tensors, to: input)
        let p = try LinesProcess.start(lines, ["convert", input.path, dir.appendingPathComponent("out").path, "--max-shard-size", "2MB"])
        // Wait until the staging folder exists, then interrupt.
        var staged = false
        for _ in 0..<400 where !staged {
            staged = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).contains { $0.hasPrefix(".out.lines-tmp-") }
            if !staged { usleep(2_000) }
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        if staged, p.terminationReason == .uncaughtSignal {
            #expect(try fm.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".lines-tmp-") }.isEmpty)
            #expect(!fm.fileExists(atPath: dir.appendingPathComponent("out").path))
        }
    }

    // MARK: The long-running commands: finetune, run, demo

    /// Files under `dir` that are torn: a checkpoint that does not open, JSON that does not
    /// parse, a journal with a bad line other than its last (a kill mid-append is allowed
    /// there), an IDX file whose header disagrees with its size. Temporaries are not judged.
    static func tornFiles(in dir: URL) -> [String] {
        var torn: [String] = []
        let fm = FileManager.default
        guard let walker = fm.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return ["cannot list \(dir.path)"] }
        for case let url as URL in walker {
            let name = url.lastPathComponent
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true, !isTemporary(name) else { continue }
            let ok: Bool
            switch url.pathExtension {
            case "safetensors": ok = (try? SafetensorsFile(url: url)) != nil
            case "pt": ok = (try? Checkpoint.open(url)) != nil
            case "json": ok = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])) != nil
            case "jsonl":
                let lines = ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n")
                ok = lines.dropLast().allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }
            default:
                if name.hasSuffix("-ubyte") { ok = (try? IDXFile(contentsOf: url)) != nil } else { ok = true }
            }
            if !ok { torn.append(url.path) }
        }
        return torn
    }

    static func isTemporary(_ name: String) -> Bool { name.contains(".lines-tmp-") || name.contains(".lines-old-") }

    /// Temporary files and folders left anywhere under `dir`.
    static func temporaries(in dir: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { isTemporary(($0 as NSString).lastPathComponent) }
    }

    /// Starts `args` `rounds` times, killing each at a seeded random moment in `window` seconds,
    /// checking after each kill that nothing is torn; returns how many were killed mid-way.
    static func killRepeatedly(_ lines: URL, _ args: [String], rounds: Int, window: Double, seed: UInt64, watch: URL) throws -> Int {
        var rng = SeededRandom(seed: seed)
        var killed = 0
        for round in 0..<rounds {
            let p = try LinesProcess.start(lines, args)
            usleep(useconds_t(Double(rng.int(below: 1_000_000)) * window))
            if p.isRunning { killed += 1 }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let torn = tornFiles(in: watch)
            #expect(torn.isEmpty, "round \(round): \(torn)")
        }
        return killed
    }

    @Test("finetune killed at random moments: every file it left loads; --resume finishes with no temporary file")
    func finetune() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("lines-kill-ft-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: root) }
        let raw = root.appendingPathComponent("data/MNIST/raw")
        try fm.createDirectory(at: raw, withIntermediateDirectories: true)
        try FinetuneCommandTests.writeIDX(raw, stem: "train", count: 200, seed: 1)
        try FinetuneCommandTests.writeIDX(raw, stem: "t10k", count: 20, seed: 2)
        let models = root.appendingPathComponent("models")
        let args = ["finetune", "--tiny", "32,2,2,7,28,16", "--task", "MNIST", "--data-location", root.appendingPathComponent("data").path,
                    "--model-location", models.path, "--steps", "1500", "--batch-size", "16", "--lr", "1e-3", "--warmup", "2",
                    "--checkpoint-every", "25", "--log-every", "100", "--seed", "3", "--format", "both", "--resume"]
        let killed = try Self.killRepeatedly(lines, args, rounds: 6, window: 1.5, seed: 11, watch: root)
        #expect(killed > 0)
        let done = try LinesProcess.run(lines, args)
        #expect(done.status == 0, "\(done.stderr)")
        let folder = models.appendingPathComponent("tiny/MNISTVal")
        #expect(try SafetensorsFile(url: folder.appendingPathComponent("finetune_state.safetensors")).metadata["step"] == "1500")
        #expect(try Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.pt")).readFloat("model.visual.proj")
                == Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.safetensors")).readFloat("model.visual.proj"))
        #expect(Self.temporaries(in: root).isEmpty, "\(Self.temporaries(in: root))")
    }

    @Test("run killed at random moments: results, journals and logs are never torn; the finished run writes the reference's file")
    func run() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        let ws = fm.temporaryDirectory.appendingPathComponent("lines-kill-run-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: ws) }
        try fm.createDirectory(at: ws, withIntermediateDirectories: true)
        try fm.copyItem(at: fixtures.appendingPathComponent("runner/model_checkpoints"), to: ws.appendingPathComponent("model_checkpoints"))
        let args = ["run", "model=tiny", "DATASETS=[EuroSAT,GTSRB,CIFAR10,KMNIST]", "method=ties", "method.apply_lines=true",
                    "data_location=\(fixtures.appendingPathComponent("datasets/root").path)",
                    "model_location=\(ws.appendingPathComponent("model_checkpoints").path)",
                    "cache_dir=\(ws.appendingPathComponent("cache").path)", "results_location=\(ws.appendingPathComponent("results").path)",
                    "logs_location=\(ws.appendingPathComponent("logs").path)", "batch_size=1"]
        let killed = try Self.killRepeatedly(lines, args, rounds: 5, window: 3, seed: 12, watch: ws)
        #expect(killed > 0)
        let done = try LinesProcess.run(lines, args)
        #expect(done.status == 0, "\(done.stderr)")
        let written = try String(contentsOf: ws.appendingPathComponent("results/merging_multi_task/tiny_4tasks_ties_k=20_merged__lines.json"), encoding: .utf8)
        #expect(written == (try String(contentsOf: fixtures.appendingPathComponent("runner/expected/ties_lines.json"), encoding: .utf8)))
        #expect(Self.temporaries(in: ws).isEmpty, "\(Self.temporaries(in: ws))")
    }

    @Test("demo --quick killed at random moments: its cache is never torn, and the finished report has the uninterrupted run's numbers",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")))
    func demo() throws {
        guard let lines = linesExecutable() else { return }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-kill-demo-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        func args(_ name: String) -> [String] {
            ["demo", "--quick", "--output", dir.appendingPathComponent("\(name)-out").path, "--cache", dir.appendingPathComponent("\(name)-cache").path]
        }
        let killed = try Self.killRepeatedly(lines, args("killed"), rounds: 4, window: 12, seed: 13, watch: dir)
        #expect(killed > 0)
        let done = try LinesProcess.run(lines, args("killed"))
        #expect(done.status == 0, "\(done.stderr)")
        let clean = try LinesProcess.run(lines, args("clean"))
        #expect(clean.status == 0, "\(clean.stderr)")
        #expect(Self.temporaries(in: dir).isEmpty, "\(Self.temporaries(in: dir))")
        // Every results file of the interrupted demo equals the uninterrupted one's.
        func results(_ cache: String) -> URL {
            let root = (try? fm.contentsOfDirectory(atPath: dir.appendingPathComponent(cache).path))?.first { $0.hasPrefix("quick-") } ?? "quick-"
            return dir.appendingPathComponent("\(cache)/\(root)/results")
        }
        let a = results("killed-cache"), b = results("clean-cache")
        let files = (fm.enumerator(atPath: b.path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!files.isEmpty)
        for f in files {
            #expect(fm.contentsEqual(atPath: a.appendingPathComponent(f).path, andPath: b.appendingPathComponent(f).path), "\(f)")
        }
    }
}
