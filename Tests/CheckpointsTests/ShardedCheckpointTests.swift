import Foundation
import Testing
import Tensors
@testable import Checkpoints
import TestSupport

#if os(Linux)
private let isLinux = true
#else
private let isLinux = false
#endif

@Suite("sharded checkpoints")
struct ShardedCheckpointTests {
    @Test("a folder output replaces the old one in one atomic exchange where Linux can (renameat2)", .enabled(if: isLinux))
    func atomicExchange() throws {
        let dir = try temporaryFolder()
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: a, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: b, withIntermediateDirectories: true)
        try Data("new".utf8).write(to: a.appendingPathComponent("x"))
        try Data("old".utf8).write(to: b.appendingPathComponent("y"))
        #expect(ShardedSafetensorsWriter.exchange(a, b))
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.path) == ["x"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: a.path) == ["y"])
        // Re-writing a folder output leaves only the new checkpoint, nothing set aside.
        let out = dir.appendingPathComponent("out")
        let tensors = (0..<4).map { ("t\($0)", StoredTensor(dtype: .u8, shape: [1024], data: [UInt8](repeating: UInt8($0), count: 1024))) }
        for limit in [2048, 3000] {
            var w = try ShardedSafetensorsWriter(folder: out, tensors: tensors.map { TensorInfo(name: $0.0, dtype: .u8, shape: [1024]) }, metadata: nil, maxShardSize: limit)
            for (name, t) in tensors { try w.write(name, t) }
            try w.finish()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a", "b", "out"])
        #expect(try Checkpoint.open(out).tensors.count == 4)
    }

    let folder = safetensorsFixture("sharded")

    @Test("a huggingface_hub sharded folder reads through its weight map")
    func read() throws {
        let reader = try Checkpoint.open(folder)
        #expect(reader.format == .shardedSafetensors)
        #expect(reader.tensors.count == 7)
        #expect(reader.metadata["total_size"] == "2848")
        #expect(reader.byteCount == 2848)
        #expect(reader.info("lm_head.weight")?.dtype == .bf16)
        let viaIndex = try Checkpoint.open(folder.appendingPathComponent("model.safetensors.index.json"))
        #expect(try viaIndex.readFloat("model.norm.weight").scalars == [Float](repeating: 1, count: 8))
        let shard = try SafetensorsFile(url: folder.appendingPathComponent("model-00003-of-00005.safetensors"))
        #expect(try reader.read("model.layers.1.self_attn.q_proj.weight") == shard.read("model.layers.1.self_attn.q_proj.weight"))
    }

    @Test("a sharded PyTorch folder (pytorch_model.bin.index.json) reads the same tensors")
    func readBinShards() throws {
        let bin = try Checkpoint.open(safetensorsFixture("sharded_bin"))
        let st = try Checkpoint.open(folder)
        #expect(bin.format == .shardedPyTorch)
        #expect(Set(bin.tensors.map(\.name)) == Set(st.tensors.map(\.name)))
        for t in st.tensors { #expect(try bin.read(t.name) == st.read(t.name), "\(t.name)") }
    }

    @Test("writing the same tensors with the same limit gives byte-identical shards and index")
    func writeIdentical() throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: safetensorsFixture("sharded.manifest.json"))) as! [String: Any]
        let order = manifest["order"] as! [String]
        let limit = manifest["max_shard_size"] as! Int
        let reader = try Checkpoint.open(folder)
        let out = try temporaryFolder().appendingPathComponent("resharded")
        var writer = try ShardedSafetensorsWriter(folder: out, tensors: order.map { reader.info($0)! }, metadata: ["format": "pt"], maxShardSize: limit)
        for name in order { try writer.write(name, try reader.read(name)) }
        try writer.finish()
        let expected = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == expected)
        for f in expected {
            #expect(try bytes(out.appendingPathComponent(f)) == bytes(folder.appendingPathComponent(f)), "\(f)")
        }
    }

    @Test("the splitting rule of huggingface_hub: a new shard when the next tensor would pass the limit; an oversized tensor is appended as its own shard at once")
    func splitting() throws {
        let infos = [("a", 10), ("b", 10), ("big", 100), ("c", 15), ("d", 6)].map {
            TensorInfo(name: $0.0, dtype: .u8, shape: [$0.1])
        }
        let out = try temporaryFolder().appendingPathComponent("s")
        let w = try ShardedSafetensorsWriter(folder: out, tensors: infos, metadata: nil, maxShardSize: 20)
        // huggingface_hub appends the oversized tensor's shard before flushing the current one.
        #expect(w.weightMap == ["a": "model-00002-of-00004.safetensors", "b": "model-00002-of-00004.safetensors",
                                "big": "model-00001-of-00004.safetensors", "c": "model-00003-of-00004.safetensors",
                                "d": "model-00004-of-00004.safetensors"])
        #expect(w.totalSize == 141)
        w.abandon()
        // Nothing appears: the shards were staged in a temporary sibling, now removed.
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path).isEmpty)
    }

    @Test("a folder output is swapped in whole: a re-conversion with another split leaves no old shard; a folder with other files is refused")
    func folderAtomicity() throws {
        let dir = try temporaryFolder()
        let infos = (0..<6).map { TensorInfo(name: "t\($0)", dtype: .u8, shape: [10]) }
        func write(_ limit: Int) throws {
            var w = try ShardedSafetensorsWriter(folder: dir.appendingPathComponent("out"), tensors: infos, metadata: nil, maxShardSize: limit)
            for t in infos { try w.write(t.name, StoredTensor(dtype: .u8, shape: [10], data: [UInt8](repeating: 7, count: 10))) }
            try w.finish()
        }
        try write(20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).count == 4)
        try write(30)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path).sorted()
        #expect(files == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
        #expect(try Checkpoint.open(dir.appendingPathComponent("out")).tensors.count == 6)
        // A model folder with a config is not ours to replace.
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: model.appendingPathComponent("config.json"))
        #expect {
            _ = try ShardedSafetensorsWriter(folder: model, tensors: infos, metadata: nil, maxShardSize: 20)
        } throws: { error in "\(error)".contains("holds other files (config.json)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: model.path) == ["config.json"])
    }

    @Test("what a killed process left (a staging folder, a temporary file, a folder set aside) is cleaned up by the next write")
    func staleLeftovers() throws {
        let dir = try temporaryFolder()
        let out = dir.appendingPathComponent("out"), file = dir.appendingPathComponent("one.safetensors")
        // A dead process id: the largest pid is never one of ours; probe that it is free.
        var dead: Int32 = 4_000_000
        while kill(dead, 0) == 0 || errno == EPERM { dead -= 1 }
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent(".out.lines-tmp-\(dead)-1"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent(".one.safetensors.lines-tmp-\(dead)-2"))
        // The old folder of a swap cut short: restored, since the output is missing.
        let aside = dir.appendingPathComponent(".kept.lines-old-\(dead)-3")
        try fm.createDirectory(at: aside, withIntermediateDirectories: true)
        TemporaryFiles.removeStale(next: dir.appendingPathComponent("kept"))
        #expect(fm.fileExists(atPath: dir.appendingPathComponent("kept").path) && !fm.fileExists(atPath: aside.path))
        let infos = [TensorInfo(name: "w", dtype: .u8, shape: [1])]
        var w = try ShardedSafetensorsWriter(folder: out, tensors: infos, metadata: nil, maxShardSize: 20)
        try w.write("w", StoredTensor(dtype: .u8, shape: [1], data: [1]))
        try w.finish()
        try SafetensorsWriter.save([("w", StoredTensor(dtype: .u8, shape: [1], data: [1]))], to: file)
        #expect(try fm.contentsOfDirectory(atPath: dir.path).sorted() == ["kept", "one.safetensors", "out"])
    }

    @Test("a broken index names the problem")
    func brokenIndex() throws {
        let dir = try temporaryFolder()
        for f in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.copyItem(at: folder.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00005.safetensors"))
        do { _ = try Checkpoint.open(dir); Issue.record("accepted") } catch {
            #expect("\(error)".contains("shard 'model-00002-of-00005.safetensors' named in weight_map does not exist"))
        }
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        try Data(#"{"metadata": {}, "weight_map": {"x": "../etc/passwd"}}"#.utf8).write(to: index)
        do { _ = try Checkpoint.open(dir); Issue.record("accepted") } catch {
            #expect("\(error)".contains("must be a shard file name in the same folder"))
        }
        try Data(#"{"metadata": {}, "weight_map": {"x": "model.safetensors.index.json"}}"#.utf8).write(to: index)
        #expect(throws: CheckpointError.self) { _ = try Checkpoint.open(dir) }  // no recursion into itself
        try Data(#"{"metadata": {}, "weight_map": {"model.norm.weight": "model-00001-of-00005.safetensors"}}"#.utf8).write(to: index)
        do { _ = try Checkpoint.open(dir); Issue.record("accepted") } catch {
            #expect("\(error)".contains("weight_map puts 'model.norm.weight' in 'model-00001-of-00005.safetensors'"))
        }
    }

    @Test("convert: sharded → one file → sharded with a cast keeps every value")
    func convertRoundTrip() throws {
        let dir = try temporaryFolder()
        let reader = try Checkpoint.open(folder)
        let single = dir.appendingPathComponent("one.safetensors")
        try CheckpointConverter.convert(reader, to: single)
        let one = try Checkpoint.open(single)
        for t in reader.tensors { #expect(try one.read(t.name) == reader.read(t.name)) }
        let sharded = dir.appendingPathComponent("f16")
        try CheckpointConverter.convert(one, to: sharded, dtype: .f16, maxShardSize: 600)
        let back = try Checkpoint.open(sharded)
        #expect(back.tensors.allSatisfy { $0.dtype == .f16 })
        for t in reader.tensors {
            let a = try reader.readFloat(t.name).scalars, b = try back.readFloat(t.name).scalars
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-10 + 1e-6 }, "\(t.name)")
        }
        #expect(throws: CheckpointError.self) { try CheckpointConverter.convert(reader, to: dir.appendingPathComponent("x.safetensors"), dtype: .i64) }
        // Re-splitting into the same folder leaves exactly one checkpoint there.
        try CheckpointConverter.convert(one, to: sharded, dtype: .f16, maxShardSize: 100_000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sharded.path) == ["model.safetensors"])
        try CheckpointConverter.convert(one, to: sharded, maxShardSize: 1_000)
        #expect(try Checkpoint.open(sharded).tensors.count == 7)
    }
}

@Suite("architecture detection")
struct ArchitectureTests {
    @Test("each family's block naming is found, with L and the keys outside the blocks", arguments: [
        (["model.visual.conv1.weight", "model.visual.transformer.resblocks.0.ln_1.weight", "model.visual.transformer.resblocks.11.mlp.c_fc.weight", "model.visual.proj"], "open_clip-vit", 12),
        (["vision_model.encoder.layers.3.self_attn.k_proj.weight", "vision_model.post_layernorm.weight"], "hf-clip-vision", 4),
        (["text_model.encoder.layers.1.mlp.fc1.weight", "text_model.final_layer_norm.weight"], "hf-clip-text", 2),
        (["model.layers.31.self_attn.q_proj.weight", "model.embed_tokens.weight", "lm_head.weight"], "hf-decoder-llm", 32),
        (["encoder.block.5.layer.0.SelfAttention.q.weight", "decoder.block.2.layer.1.EncDecAttention.k.weight", "shared.weight"], "t5", 6),
        (["transformer.resblocks.2.attn.in_proj_weight", "token_embedding.weight"], "open_clip-text", 3),
    ])
    func families(names: [String], family: String, layers: Int) throws {
        let arch = try #require(Architecture.detect(names: names))
        #expect(arch.family == family)
        #expect(arch.layerCount == layers)
    }

    @Test("block indices match whole components: .1. never matches .11.")
    func wholeComponents() throws {
        let names = ["model.visual.transformer.resblocks.1.ln_1.weight", "model.visual.transformer.resblocks.11.ln_1.weight",
                     "model.visual.ln_post.weight"]
        let map = LayerMap(architecture: try #require(Architecture.detect(names: names)), names: names)
        #expect(map.block(of: names[0]) == 1)
        #expect(map.block(of: names[1]) == 11)
        #expect(map.block(of: names[2]) == nil)
        #expect(map.layerCount == 12)
    }

    @Test("a user pattern needs exactly one capture group")
    func userPattern() throws {
        #expect(throws: LayerMap.PatternError.needsOneCaptureGroup("blocks", found: 0)) { _ = try LayerMap(pattern: "blocks", names: []) }
        #expect(throws: LayerMap.PatternError.self) { _ = try LayerMap(pattern: "(", names: []) }
        let map = try LayerMap(pattern: #"h\.(\d+)\."#, names: ["h.0.attn", "h.3.mlp", "wte"])
        #expect(map.layerCount == 4 && map.block(of: "h.3.mlp") == 3 && map.block(of: "wte") == nil)
        #expect(Architecture.detect(names: ["a.weight", "b.bias"]) == nil)
    }
}
