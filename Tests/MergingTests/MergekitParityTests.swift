import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// mergekit configurations against mergekit 0.1.5 itself on the same tiny random-init
/// `LlamaForCausalLM` models (`Scripts/fixtures/mergekit_fixtures.py`, transformers 5.24).
@Suite("mergekit configurations: parity with mergekit, folders, randomness, bad input")
struct MergekitParityTests {
    static let fixtures = TestPaths.fixtures.appendingPathComponent("mergekit")

    static func config(_ name: String) throws -> MergekitConfig {
        let url = fixtures.appendingPathComponent("configs/\(name).yml")
        return try MergekitConfig(yaml: try String(contentsOf: url, encoding: .utf8), file: url.path)
    }

    static var options: MergekitMerger.Options {
        var o = MergekitMerger.Options()
        o.configFolder = TestPaths.repositoryRoot  // the fixture configs name models from the repository root
        return o
    }

    static func run(_ config: MergekitConfig, options: MergekitMerger.Options = options, name: String = "out.safetensors") throws -> (URL, URL) {
        let dir = try temporaryFolder("mergekit")
        let out = dir.appendingPathComponent(name)
        _ = try MergekitMerger.merge(config, file: "test.yml", options: options, to: out)
        return (out, dir)
    }

    /// Methods whose norms and cosines torch sums in its own order: within 1e-6, not bitwise.
    static let reductions: Set<String> = ["slerp", "nuslerp", "nuslerp_rows", "nuslerp_row_wise", "model_stock", "model_stock_filter_wise"]

    @Test("deterministic methods give mergekit's bytes (slerp, nuslerp and model_stock within 1e-6 of each tensor's largest entry)",
          arguments: ["linear", "task_arithmetic", "task_arithmetic_bf16", "task_arithmetic_tied", "ties", "ties_unnormalized", "ties_slices", "ties_gradient", "breadcrumbs",
                      "breadcrumbs_ties", "t5_ties", "t5_task_arithmetic", "slerp", "nuslerp", "nuslerp_rows", "nuslerp_row_wise", "model_stock", "model_stock_filter_wise",
                      "passthrough"])
    func parity(_ name: String) throws {
        let (out, dir) = try Self.run(try Self.config(name))
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = try SafetensorsFile(url: out)
        let theirs = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("expected/\(name).safetensors"))
        #expect(ours.sortedNames == theirs.sortedNames)
        for key in theirs.sortedNames {
            let a = try ours.read(key), b = try theirs.read(key)
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(key)")
            if Self.reductions.contains(name) {
                let x = try ours.readFloat(key).scalars, y = try theirs.readFloat(key).scalars
                #expect(relativeMaxError(x, y) <= 1e-6, "\(key): \(relativeMaxError(x, y))")
            } else {
                let difference = maxDifference(try ours.readFloat(key).scalars, try theirs.readFloat(key).scalars)
                #expect(a.data == b.data, "\(name) \(key): max difference \(difference)")
            }
        }
    }

    @Test("a model folder of pytorch_model-*.bin shards (torch.save, with its index) merges as its safetensors twin")
    func binShardsIn() throws {
        let plain = try Self.config("task_arithmetic")
        let text = plain.text.replacingOccurrences(of: "models/a\n", with: "models/a-bin\n")
        #expect(text != plain.text)
        let (out, dir) = try Self.run(try MergekitConfig(yaml: text, file: "bin.yml"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = try Checkpoint.open(Self.fixtures.appendingPathComponent("models/a-bin"))
        #expect(bin.format == .shardedPyTorch)
        let ours = try SafetensorsFile(url: out)
        let expected = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("expected/task_arithmetic.safetensors"))
        for key in expected.sortedNames { #expect(try ours.read(key).data == expected.read(key).data, "\(key)") }
    }

    @Test("a folder output loads as a model folder: shards + index, config.json in the output dtype, card, config; a second merge replaces it")
    func folderOutput() throws {
        let config = try Self.config("task_arithmetic_bf16")
        var options = Self.options
        options.maxShardSize = 8_000
        let (out, dir) = try Self.run(config, options: options, name: "merged")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files.contains("model.safetensors.index.json") && files.contains("config.json") && files.contains("README.md")
                && files.contains("mergekit_config.yml") && files.filter { $0.hasPrefix("model-") }.count >= 2, "\(files)")
        let json = try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(json.contains("\"dtype\": \"bfloat16\""))
        #expect(try String(contentsOf: out.appendingPathComponent("mergekit_config.yml"), encoding: .utf8) == config.text)
        let card = try String(contentsOf: out.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(card.contains("task_arithmetic") && card.contains(ShardedSafetensorsWriter.ownedFolderMarker))
        // The merged weights, read back through the index, are mergekit's.
        let merged = try Checkpoint.open(out), expected = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("expected/task_arithmetic_bf16.safetensors"))
        for key in expected.sortedNames { #expect(try merged.read(key).data == expected.read(key).data, "\(key)") }
        // Ours: replaced whole by the next merge. Not ours (a user's file inside): refused.
        _ = try MergekitMerger.merge(config, file: "test.yml", options: Self.options, to: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("model-") }.isEmpty)
        try Data("notes".utf8).write(to: out.appendingPathComponent("notes.txt"))
        #expect(throws: CheckpointError.self) { try MergekitMerger.merge(config, file: "test.yml", options: Self.options, to: out) }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("notes.txt").path))
    }

    @Test("LiNeS on a merged task vector: block i of L scaled by α + β·i/(L−1), other tensors by α")
    func linesOnTaskArithmetic() throws {
        let plain = try Self.config("task_arithmetic")
        let lined = try MergekitConfig(yaml: plain.text + "lines: {alpha: 0.4, beta: 0.6}\n", file: "lines.yml")
        let (out, dir) = try Self.run(lined)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = try SafetensorsFile(url: out)
        let ta = try SafetensorsFile(url: Self.fixtures.appendingPathComponent("expected/task_arithmetic.safetensors"))
        let base = try Checkpoint.open(Self.fixtures.appendingPathComponent("models/base"))
        let map = LayerMap(architecture: try #require(Architecture.detect(names: base.sortedNames)), names: base.sortedNames)
        #expect(map.layerCount == 2)
        for key in ta.sortedNames {
            let s: Float = map.block(of: key).map { $0 == 0 ? 0.4 : 1.0 } ?? 0.4
            let b = try base.readFloat(key).scalars, m = try ta.readFloat(key).scalars, o = try ours.readFloat(key).scalars
            let expected = zip(b, m).map { $0 + s * ($1 - $0) }
            #expect(relativeMaxError(o, expected) <= 1e-6, "\(key)")
        }
    }

    @Test("task arithmetic, TIES and DARE streamed in chunks (of 1, 37, 64 values) give the bytes of the whole-tensor code",
          arguments: ["ties", "ties_unnormalized", "ties_gradient", "task_arithmetic", "task_arithmetic_bf16", "task_arithmetic_tied", "t5_ties", "dare_ties", "dare_linear", "lines", "ties_bf16", "task_arithmetic_lines"])
    func streamedEqualsWhole(_ name: String) throws {
        var config: MergekitConfig
        switch name {
        case "ties_bf16":
            // bf16 deltas: many equal magnitudes at each cut, kept by index.
            config = try MergekitConfig(yaml: """
                merge_method: ties
                base_model: Tests/Fixtures/mergekit/models/base-bf16
                models:
                  - {model: Tests/Fixtures/mergekit/models/a-bf16, parameters: {weight: 0.6, density: 0.5}}
                  - {model: Tests/Fixtures/mergekit/models/b-bf16, parameters: {weight: 0.4, density: 0.3}}
                """, file: "ties_bf16.yml")
        case "task_arithmetic_lines":
            // Normalized, with λ and LiNeS: every step of the one-loop sum (`plainMerge`).
            config = try MergekitConfig(yaml: """
                merge_method: task_arithmetic
                base_model: Tests/Fixtures/mergekit/models/base
                models:
                  - {model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 0.7}}
                  - {model: Tests/Fixtures/mergekit/models/b, parameters: {weight: -0.3}}
                  - {model: Tests/Fixtures/mergekit/models/c, parameters: {weight: 0.45}}
                parameters: {lambda: 0.8, normalize: true}
                dtype: float32
                lines: {alpha: 0.4, beta: 0.9}
                """, file: "task_arithmetic_lines.yml")
        case "dare_ties", "dare_linear", "lines":
            let method = name == "lines" ? "ties" : name
            config = try MergekitConfig(yaml: """
                merge_method: \(method)
                base_model: Tests/Fixtures/mergekit/models/base
                models:
                  - {model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 0.7, density: 0.4}}
                  - {model: Tests/Fixtures/mergekit/models/b, parameters: {weight: -0.3, density: [0.2, 0.9]}}
                  - {model: Tests/Fixtures/mergekit/models/c, parameters: {weight: 0.5, density: 1.0}}
                parameters: {lambda: 0.8}
                dtype: float32
                out_dtype: bfloat16
                """ + (name == "lines" ? "\nlines: {alpha: 0.4, beta: 0.9}\n" : "\n"), file: "\(name).yml")
        default:
            config = try Self.config(name)
        }
        var whole = Self.options
        whole.seed = 5
        whole.chunkSize = nil
        let (reference, d0) = try Self.run(config, options: whole)
        defer { try? FileManager.default.removeItem(at: d0) }
        let before = _StreamedTaskArithmetic.windowOutcomes.value
        defer {
            // Across the TIES cases, the cut's window both held it (no second pass) and missed it (the pass).
            let after = _StreamedTaskArithmetic.windowOutcomes.value
            if name.contains("ties"), name != "dare_ties" { #expect(after.hits > before.hits, "\(name): no window held its cut") }
        }
        for chunk in [1, 37, 64] {
            var streamed = whole
            streamed.chunkSize = chunk
            let (out, d) = try Self.run(config, options: streamed)
            defer { try? FileManager.default.removeItem(at: d) }
            #expect(try Data(contentsOf: out) == Data(contentsOf: reference), "\(name), chunks of \(chunk)")
        }
    }

    @Test("DARE keeps each entry with probability density, L1-rescaled; the same seed gives the same bytes, another seed others")
    func dareStatistics() throws {
        let text = """
        merge_method: dare_linear
        base_model: Tests/Fixtures/mergekit/models/base
        models:
          - model: Tests/Fixtures/mergekit/models/a
            parameters: {weight: 1.0, density: 0.3}
        dtype: float32
        """
        let config = try MergekitConfig(yaml: text, file: "dare.yml")
        var o1 = Self.options
        o1.seed = 7
        let (a, d1) = try Self.run(config, options: o1)
        let (b, d2) = try Self.run(config, options: o1)
        var o2 = o1
        o2.seed = 8
        let (c, d3) = try Self.run(config, options: o2)
        defer { for d in [d1, d2, d3] { try? FileManager.default.removeItem(at: d) } }
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        #expect(try Data(contentsOf: a) != Data(contentsOf: c))
        let base = try Checkpoint.open(Self.fixtures.appendingPathComponent("models/base"))
        let model = try Checkpoint.open(Self.fixtures.appendingPathComponent("models/a"))
        let merged = try SafetensorsFile(url: a)
        var kept = 0, total = 0
        for key in base.sortedNames {
            let b0 = try base.readFloat(key).scalars, t = try model.readFloat(key).scalars, m = try merged.readFloat(key).scalars
            let tau = zip(t, b0).map { $0 - $1 }, out = zip(m, b0).map { $0 - $1 }
            var l1Tau = 0.0, l1Out = 0.0
            for j in tau.indices {
                total += 1
                if out[j] != 0 { kept += 1 }
                l1Tau += Double(abs(tau[j]))
                l1Out += Double(abs(out[j]))
            }
            if tau.count >= 64 { #expect(abs(l1Out / l1Tau - 1) < 1e-5, "\(key): L1 \(l1Out) vs \(l1Tau)") }
        }
        let fraction = Double(kept) / Double(total)
        // 6,224 Bernoulli(0.3) draws: σ ≈ 0.0058.
        #expect(abs(fraction - 0.3) < 0.03, "kept \(fraction)")
    }

    @Test("DELLA keeps about density per row, more of the larger entries")
    func dellaStatistics() throws {
        var r = _TensorRandom(seed: 3, stream: 0)
        let rows = 64, cols = 200
        let tau = (0..<(rows * cols)).map { Float($0 % cols + 1) * (($0 / cols) % 2 == 0 ? 1 : -1) }
        let out = try Sparsify.dellaMagprune(tau, shape: [rows, cols], density: 0.4, epsilon: 0.2, rescale: false, random: &r)
        let kept = out.filter { $0 != 0 }.count
        #expect(abs(Double(kept) / Double(tau.count) - 0.4) < 0.02)
        // The smallest fifth of each row is kept with p ≈ 0.2–0.28, the largest with p ≈ 0.52–0.6.
        var small = 0, large = 0
        for row in 0..<rows { for j in 0..<40 { if out[row * cols + j] != 0 { small += 1 }; if out[row * cols + cols - 1 - j] != 0 { large += 1 } } }
        #expect(Double(small) / Double(rows * 40) < 0.3 && Double(large) / Double(rows * 40) > 0.5, "\(small) \(large)")
        #expect(throws: MergeError.self) { var q = _TensorRandom(seed: 1, stream: 0); _ = try Sparsify.dellaMagprune(tau, shape: [rows, cols], density: 0.9, epsilon: 0.2, rescale: false, random: &q) }
    }

    @Test("gradients interpolate over the layers and filters pick by tensor name, as mergekit evaluates them")
    func settings() {
        let g = MergekitConfig.Setting.gradient([0, 1, 0.5])
        #expect(g.value(tensor: "x", t: 0) == 0 && g.value(tensor: "x", t: 0.5) == 1 && g.value(tensor: "x", t: 1) == 0.5)
        #expect(g.value(tensor: "x", t: 0.25) == 0.5)
        let f = MergekitConfig.Setting.conditional([.init(filter: "self_attn", value: .number(0.2)), .init(filter: nil, value: .gradient([1, 0]))])
        #expect(f.value(tensor: "model.layers.0.self_attn.q_proj.weight", t: 0) == 0.2)
        #expect(f.value(tensor: "model.layers.1.mlp.up_proj.weight", t: 1) == 0)
    }

    @Test("what Lines does not run is one sentence naming the file and key, before any tensor is read", arguments: [
        ("merge_method: ties\nslices: []\nmodels: [{model: a}]", "give either 'models' or 'slices', not both"),
        ("merge_method: linear\nslices: [{sources: [{model: Tests/Fixtures/mergekit/models/a, layer_range: [0, 1]}]}, {sources: [{model: Tests/Fixtures/mergekit/models/b, layer_range: [1, 2]}]}]",
         "'slices' holds 2 slices: stacking or cutting layers (frankenmerges) is not supported"),
        ("merge_method: linear\nslices: [{sources: [{model: Tests/Fixtures/mergekit/models/a, layer_range: [0, 1], parameters: {weight: 1}}]}]",
         "slices[0].sources[0].layer_range is [0, 1] but Tests/Fixtures/mergekit/models/a has 2 layers; only whole models are merged (layer_range: [0, 2])"),
        ("merge_method: linear\nslices: [{sources: [{model: Tests/Fixtures/mergekit/models/a, layer_range: [1, 2]}]}]", "slices[0].sources[0].layer_range is [1, 2]: only whole models are merged"),
        ("merge_method: linear\nslices: [{sources: [{model: Tests/Fixtures/mergekit/models/a}]}]", "slices[0].sources[0].layer_range must be [0, N]"),
        ("merge_method: frobnicate\nmodels: [{model: Tests/Fixtures/mergekit/models/a}]", "merge_method 'frobnicate'"),
        ("merge_method: ties\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1, densty: 0.5}}]", "models[0].parameters.densty"),
        ("merge_method: task_arithmetic\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: Tests/Fixtures/mergekit/models/a}]", "needs parameters.weight"),
        ("merge_method: linear\nmodels: [{model: /nonexistent/model, parameters: {weight: 1}}]", "'/nonexistent/model': no such file or folder"),
        ("merge_method: linear\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1}}]\nlines: {beta: 1}", "LiNeS scales a merged task vector"),
        ("merge_method: ties\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1}}]\ndtype: int8", "'dtype' must be a floating-point dtype"),
        ("merge_method: slerp\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: Tests/Fixtures/mergekit/models/a}]", "needs parameters.t"),
        ("merge_method: task_arithmetic\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: Tests/Fixtures/mergekit/models/a+lora}]", "LoRA"),
        ("merge_method: task_arithmetic\nbase_model: Tests/Fixtures/mergekit/models/c-tied\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1}}]",
         "models/a/model.safetensors but \(FileManager.default.currentDirectoryPath)/Tests/Fixtures/mergekit/models/c-tied/model.safetensors ties it to its input embedding"),
        ("merge_method: nuslerp\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1}}]", "nuslerp merges exactly 2 models besides the base; the config lists 1"),
        ("merge_method: nuslerp\nmodels: [{model: Tests/Fixtures/mergekit/models/a, parameters: {weight: 1}}, {model: Tests/Fixtures/mergekit/models/b, parameters: {weight: 1}}]\nlines: {beta: 1}", "LiNeS scales a merged task vector"),
    ])
    func badConfigs(text: String, fragment: String) throws {
        let dir = try temporaryFolder("mergekit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.safetensors")
        do {
            let config = try MergekitConfig(yaml: text, file: "bad.yml")
            _ = try MergekitMerger.merge(config, file: "bad.yml", options: Self.options, to: out)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
            #expect("\(error)".hasPrefix("bad.yml: "), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("a model whose shapes differ from the base is refused naming the tensor and both files")
    func shapeMismatch() throws {
        let dir = try temporaryFolder("mergekit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try Checkpoint.open(Self.fixtures.appendingPathComponent("models/base"))
        var tensors: [(String, StoredTensor)] = []
        for key in base.sortedNames {
            var t = try base.read(key)
            if key == "model.norm.weight" { t = StoredTensor(dtype: .f32, shape: [8], data: [UInt8](repeating: 0, count: 32)) }
            tensors.append((key, t))
        }
        let odd = dir.appendingPathComponent("odd.safetensors")
        try SafetensorsWriter.save(tensors, to: odd)
        let config = try MergekitConfig(yaml: "merge_method: task_arithmetic\nbase_model: Tests/Fixtures/mergekit/models/base\nmodels: [{model: \(odd.path), parameters: {weight: 1}}]", file: "m.yml")
        #expect(throws: MergeError.shapeMismatch(key: "model.norm.weight", expected: [16], found: [8], reference: base.url.path, file: odd.path)) {
            try MergekitMerger.merge(config, file: "m.yml", options: Self.options, to: dir.appendingPathComponent("o.safetensors"))
        }
    }
}

/// The linear-time rank selection against sorting, on data full of equal magnitudes.
@Suite("rank selection for per-tensor trims")
struct RankSelectionTests {
    @Test("the magnitude trim and ascending rank ranges pick what a stable sort by (|τ|, index) picks", arguments: [1, 2, 3, 4, 5])
    func againstSort(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        let n = 50 + Int(rng.next() % 300)
        // Few distinct magnitudes, both signs, no zeros: most comparisons are ties, kept = non-zero.
        let tau = (0..<n).map { _ in Float(Int(rng.next() % 4) + 1) * (rng.next() % 2 == 0 ? 0.5 : -0.5) }
        let asc = tau.indices.sorted { abs(tau[$0]) < abs(tau[$1]) || (abs(tau[$0]) == abs(tau[$1]) && $0 < $1) }
        let desc = tau.indices.sorted { abs(tau[$0]) > abs(tau[$1]) || (abs(tau[$0]) == abs(tau[$1]) && $0 < $1) }
        for k in [1, n / 3, n / 2, n - 1] {
            var t = tau
            Sparsify.magnitude(&t, density: (Double(k) + 0.5) / Double(n), rescale: false)
            #expect(t.indices.filter { t[$0] != 0 } == desc.prefix(k).sorted(), "k \(k)")
            #expect(t.indices.allSatisfy { t[$0] == 0 || t[$0] == tau[$0] })
        }
        for (lo, hi) in [(0, n), (3, n / 2), (n / 4, n - 2), (n / 2, n / 2 + 1), (5, 5)] {
            let mask = _RankSelection.ascending(tau, ranks: lo..<hi)
            #expect(Set(mask.indices.filter { mask[$0] }) == Set(asc[lo..<max(lo, hi)]), "ranks \(lo)..<\(hi)")
        }
    }
}

/// `--tensors`: models that do not all have the same tensors.
@Suite("mergekit configurations: tensors only some models have")
struct TensorSetTests {
    /// Model b without `name`, written as a safetensors file.
    func withoutTensor(_ name: String, in dir: URL) throws -> URL {
        let b = try Checkpoint.open(URL(fileURLWithPath: "Tests/Fixtures/mergekit/models/b/model.safetensors"))
        let items = try b.tensors.filter { $0.name != name }.map { ($0.name, StoredTensor(try b.readFloat($0.name), as: .f32)) }
        let url = dir.appendingPathComponent("b-partial.safetensors")
        try SafetensorsWriter.save(items, to: url)
        return url
    }

    func run(_ partial: URL, _ set: MergekitMerger.TensorSet, in dir: URL) throws -> URL {
        let yaml = """
        merge_method: task_arithmetic
        base_model: Tests/Fixtures/mergekit/models/base
        models:
          - model: Tests/Fixtures/mergekit/models/a
            parameters: {weight: 0.7}
          - model: \(partial.path)
            parameters: {weight: 0.5}
        dtype: float32
        """
        var options = MergekitMerger.Options()
        options.tensors = set
        let out = dir.appendingPathComponent("\(set.rawValue).safetensors")
        _ = try MergekitMerger.merge(try MergekitConfig(yaml: yaml, file: "t.yml"), file: "t.yml", options: options, to: out)
        return out
    }

    @Test("strict refuses naming the tensor; intersection leaves it out; union takes the base's values for the model without it")
    func tensorSets() throws {
        let dir = try temporaryFolder("tensor-sets")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "model.layers.1.mlp.up_proj.weight"
        let partial = try withoutTensor(key, in: dir)
        #expect(throws: MergeError.self) { _ = try run(partial, .strict, in: dir) }
        // The same merge with every tensor of b.
        let whole = dir.appendingPathComponent("whole")
        try FileManager.default.createDirectory(at: whole, withIntermediateDirectories: true)
        let full = try SafetensorsFile(url: try run(URL(fileURLWithPath: "Tests/Fixtures/mergekit/models/b/model.safetensors"), .strict, in: whole))
        let intersection = try SafetensorsFile(url: try run(partial, .intersection, in: dir))
        #expect(intersection.sortedNames == full.sortedNames.filter { $0 != key })
        for name in intersection.sortedNames { #expect(try intersection.read(name).data == full.read(name).data, "\(name)") }
        let union = try SafetensorsFile(url: try run(partial, .union, in: dir))
        #expect(union.sortedNames == full.sortedNames)
        let base = try Checkpoint.open(URL(fileURLWithPath: "Tests/Fixtures/mergekit/models/base/model.safetensors")).readFloat(key).scalars
        let a = try Checkpoint.open(URL(fileURLWithPath: "Tests/Fixtures/mergekit/models/a/model.safetensors")).readFloat(key).scalars
        let got = try union.readFloat(key).scalars
        // τ_b = 0 there: base + 0.7·τ_a.
        let want = zip(base, a).map { b, x in b + (0.7 * (x - b) + 0.5 * 0) }
        #expect(relativeMaxError(got, want) < 1e-6)
        for name in union.sortedNames where name != key { #expect(try union.read(name).data == full.read(name).data, "\(name)") }
    }
}
