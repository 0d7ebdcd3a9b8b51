import Foundation
import Hub
import TestSupport
import Testing

/// `lines download`, `lines merge --pretrained hf://…` and `lines run model_location=hf://…`, run as
/// processes against the fake Hub.
@Suite("hf:// in the commands", .serialized)
struct HubCommandTests {
    /// A repository holding files copied from the repository's fixtures (LFS for weights).
    static func addRepo(_ repos: URL, name: String, files: [(from: URL, to: String)]) throws {
        let base = repos.appendingPathComponent("models/lines-test/\(name)")
        let commit = "0123456789abcdef0123456789abcdef0123" + String(format: "%04x", name.unicodeScalars.reduce(0) { ($0 * 31 + Int($1.value)) % 65536 })
        try FileManager.default.createDirectory(at: base.appendingPathComponent(commit), withIntermediateDirectories: true)
        try Data(#"{"refs": {"main": "\#(commit)"}, "lfs": ["*.pt", "*.safetensors"]}"#.utf8).write(to: base.appendingPathComponent("repo.json"))
        for f in files {
            let target = base.appendingPathComponent(commit).appendingPathComponent(f.to)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: f.from, to: target)
        }
    }

    func lines(_ hub: FakeHub, _ args: [String], offline: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
        let exe = try #require(LinesProcess.executable, "the lines executable is not built")
        // No token of the machine's own: neither HF_TOKEN nor a token file.
        var env = ["HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": hub.root.appendingPathComponent("cache").path, "HF_TOKEN": "",
                   "HF_TOKEN_PATH": hub.root.appendingPathComponent("no-token").path]
        if offline { env["HF_HUB_OFFLINE"] = "1" }
        return try LinesProcess.run(exe, args, environment: env)
    }

    @Test("lines download prints the snapshot folder; bad input is one sentence and exit 1")
    func download() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let r = try lines(hub, ["download", "lines-test/tiny-model", "--include", "*.json", "tokenizer/"])
        #expect(r.status == 0, "\(r.stderr)")
        let folder = hub.root.appendingPathComponent("cache/models--lines-test--tiny-model/snapshots/5c43447bdfe030229ef73e0e8b7c99e0be7c5431")
        #expect(r.stdout == folder.path + "\n")
        #expect(r.stderr.contains("2 files of lines-test/tiny-model at 5c43447bdfe0: 2 fetched (57 B), 0 already in the cache"), "\(r.stderr)")
        let again = try lines(hub, ["download", "lines-test/tiny-model", "--include", "*.json", "tokenizer/"], offline: true)
        #expect(again.status == 0 && again.stderr.contains("0 fetched (0 B), 2 already in the cache"), "\(again.stderr)")
        let bad = try lines(hub, ["download", "lines-test/tiny-model", "--include", "*.gguf"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("No file of lines-test/tiny-model at main matches --include *.gguf"), "\(bad.stderr)")
        let type = try lines(hub, ["download", "lines-test/tiny-data", "--repo-type", "table"])
        #expect(type.status != 0 && type.stderr.contains("--repo-type is 'table'; expected model, dataset or space"))
    }

    @Test("lines merge with hf:// inputs writes the bytes it writes from the same local files")
    func mergeFromHub() throws {
        let merge = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/merge")
        let hub = try FakeHub { repos in
            try Self.addRepo(repos, name: "merge-inputs", files: [
                (merge.appendingPathComponent("zeroshot.safetensors"), "zeroshot.safetensors"),
                (merge.appendingPathComponent("MNISTVal/nonlinear_finetuned.safetensors"), "MNISTVal/nonlinear_finetuned.safetensors"),
                (merge.appendingPathComponent("DTDVal/nonlinear_finetuned.safetensors"), "DTDVal/nonlinear_finetuned.safetensors"),
            ])
        }
        defer { withExtendedLifetime(hub) {} }
        let fromHub = hub.root.appendingPathComponent("hub.safetensors"), fromDisk = hub.root.appendingPathComponent("disk.safetensors")
        let r = try lines(hub, ["merge", "--method", "ties", "--pretrained", "hf://lines-test/merge-inputs/zeroshot.safetensors",
                                "--finetuned", "hf://lines-test/merge-inputs/MNISTVal/nonlinear_finetuned.safetensors",
                                "DTD=hf://lines-test/merge-inputs/DTDVal/nonlinear_finetuned.safetensors", "-o", fromHub.path])
        #expect(r.status == 0, "\(r.stderr)")
        let l = try lines(hub, ["merge", "--method", "ties", "--pretrained", merge.appendingPathComponent("zeroshot.safetensors").path,
                                "--finetuned", merge.appendingPathComponent("MNISTVal/nonlinear_finetuned.safetensors").path,
                                merge.appendingPathComponent("DTDVal/nonlinear_finetuned.safetensors").path, "-o", fromDisk.path])
        #expect(l.status == 0, "\(l.stderr)")
        #expect(try Data(contentsOf: fromHub) == Data(contentsOf: fromDisk))
        let missing = try lines(hub, ["merge", "--method", "sum", "--pretrained", "hf://lines-test/merge-inputs/nope.safetensors",
                                      "--finetuned", "hf://lines-test/merge-inputs/MNISTVal/nonlinear_finetuned.safetensors", "-o", fromHub.path])
        #expect(missing.status == 1 && missing.stderr.contains("lines-test/merge-inputs has no file 'nope.safetensors' at revision main (404)."), "\(missing.stderr)")
    }

    @Test("lines run model_location=hf://… fetches the model's checkpoints and gives the reference's results file")
    func runFromHub() throws {
        let runner = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/runner")
        let tiny = runner.appendingPathComponent("model_checkpoints/tiny")
        var files: [(URL, String)] = []
        for rel in FileManager.default.subpaths(atPath: tiny.path) ?? [] {
            var dir: ObjCBool = false
            if FileManager.default.fileExists(atPath: tiny.appendingPathComponent(rel).path, isDirectory: &dir), !dir.boolValue {
                files.append((tiny.appendingPathComponent(rel), "model_checkpoints/tiny/\(rel)"))
            }
        }
        let hub = try FakeHub { repos in try Self.addRepo(repos, name: "ckpt", files: files) }
        defer { withExtendedLifetime(hub) {} }
        let out = hub.root.appendingPathComponent("run")
        let r = try lines(hub, ["run", "model=tiny", "DATASETS=[EuroSAT,GTSRB,CIFAR10,KMNIST]",
                                "data_location=\(TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/root").path)",
                                "model_location=hf://lines-test/ckpt/model_checkpoints", "cache_dir=\(out.appendingPathComponent("cache").path)",
                                "results_location=\(out.appendingPathComponent("results").path)", "logs_location=\(out.appendingPathComponent("logs").path)",
                                "batch_size=4"])
        #expect(r.status == 0, "\(r.stderr)")
        let result = try String(contentsOf: out.appendingPathComponent("results/merging_multi_task/tiny_4tasks_sum_k=100_merged__.json"), encoding: .utf8)
        #expect(result == (try String(contentsOf: runner.appendingPathComponent("expected/sum.json"), encoding: .utf8)))
    }
}
