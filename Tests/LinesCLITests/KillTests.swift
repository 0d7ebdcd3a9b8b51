import Checkpoints
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

    @Test("merge and masks killed at random moments: the output is absent or whole; the next run leaves no temporary file",
          arguments: ["merge", "masks"])
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
        let out = dir.appendingPathComponent(command == "merge" ? "o.safetensors" : "m.npy")
        let args = command == "merge"
            ? ["merge", "--method", "sum", "--pretrained", p0.path, "--finetuned", a.path, b.path, "-o", out.path]
            : ["masks", "--pretrained", p0.path, "--finetuned", a.path, b.path, "-o", out.path]
        func start() throws -> Process { try LinesProcess.start(lines, args) }
        var rng = SeededRandom(seed: 7, command.count)
        for round in 0..<6 {
            let p = try start()
            usleep(useconds_t(rng.int(below: 300_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if fm.fileExists(atPath: out.path), command == "merge" {
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
}
