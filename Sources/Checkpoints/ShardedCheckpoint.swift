import Foundation
import Tensors

/// A Hugging Face sharded checkpoint: an index (`*.safetensors.index.json` or
/// `pytorch_model.bin.index.json`) whose `weight_map` names the shard of every tensor.
///
/// The weight map is authoritative: every referenced shard must exist and hold the tensors it is
/// said to hold, and no tensor may appear in two shards. Extra metadata keys are tolerated.
public final class ShardedCheckpoint: CheckpointReader, @unchecked Sendable {
    public let url: URL
    public let format: CheckpointFormat
    public let tensors: [TensorInfo]
    public let metadata: [String: String]
    /// The index file.
    public let indexURL: URL
    /// Shard file name of each tensor, as in the index.
    public let weightMap: [String: String]
    private let shards: [String: any CheckpointReader]

    /// Opens an index file, or a folder holding exactly one index.
    public init(url: URL) throws {
        self.url = url
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw CheckpointError.io(path: url.path, reason: "no such file or folder")
        }
        let index: URL
        if isDir.boolValue {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            let indexes = entries.filter { $0.hasSuffix(".index.json") }.sorted()
            guard let first = indexes.first else {
                throw CheckpointError.shard(path: url.path, reason: "folder has no *.index.json shard index")
            }
            guard indexes.count == 1 else {
                throw CheckpointError.shard(path: url.path, reason: "folder has several shard indexes (\(indexes.joined(separator: ", "))); name the one to read")
            }
            index = url.appendingPathComponent(first)
        } else {
            index = url
        }
        indexURL = index
        let data: Data
        do { data = try Data(contentsOf: index) } catch {
            throw CheckpointError.io(path: index.path, reason: error.localizedDescription)
        }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CheckpointError.invalidHeader(path: index.path, reason: "the shard index is not a JSON object")
        }
        guard let map = root["weight_map"] as? [String: Any] else {
            throw CheckpointError.invalidHeader(path: index.path, reason: "the shard index has no 'weight_map' object")
        }
        var weightMap: [String: String] = [:]
        for (k, v) in map {
            guard let s = v as? String, !s.contains("/"), s != "..", !s.isEmpty, !s.hasSuffix(".index.json") else {
                throw CheckpointError.invalidHeader(path: index.path, reason: "weight_map['\(k)'] must be a shard file name in the same folder")
            }
            weightMap[k] = s
        }
        guard !weightMap.isEmpty else {
            throw CheckpointError.invalidHeader(path: index.path, reason: "the shard index's 'weight_map' is empty: it names no tensor")
        }
        self.weightMap = weightMap
        format = index.lastPathComponent.contains(".safetensors") ? .shardedSafetensors : .shardedPyTorch
        var meta: [String: String] = [:]
        if let m = root["metadata"] as? [String: Any] {
            for (k, v) in m { meta[k] = "\(v)" }
        }
        metadata = meta
        let folder = index.deletingLastPathComponent()
        var shards: [String: any CheckpointReader] = [:]
        var infos: [TensorInfo] = []
        var seen: [String: String] = [:]
        for shard in Set(weightMap.values).sorted() {
            let shardURL = folder.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw CheckpointError.shard(path: index.path, reason: "shard '\(shard)' named in weight_map does not exist")
            }
            let reader = try Checkpoint.open(shardURL)
            shards[shard] = reader
            for t in reader.tensors {
                if let other = seen[t.name] {
                    throw CheckpointError.shard(path: index.path, reason: "tensor '\(t.name)' appears in both '\(other)' and '\(shard)'")
                }
                seen[t.name] = shard
                if weightMap[t.name] == shard { infos.append(t) }
            }
        }
        for (name, shard) in weightMap.sorted(by: { pythonLess($0.key, $1.key) }) where seen[name] != shard {
            throw CheckpointError.shard(path: index.path, reason: "weight_map puts '\(name)' in '\(shard)', but that shard does not hold it")
        }
        self.shards = shards
        let order = Dictionary(uniqueKeysWithValues: Set(weightMap.values).sorted().enumerated().map { ($1, $0) })
        tensors = infos.sorted { a, b in
            let sa = order[weightMap[a.name]!]!, sb = order[weightMap[b.name]!]!
            return sa != sb ? sa < sb : false
        }
    }

    private func shard(for name: String) throws -> any CheckpointReader {
        guard let s = weightMap[name], let r = shards[s] else { throw CheckpointError.tensorNotFound(path: indexURL.path, tensor: name) }
        return r
    }

    public func read(_ name: String) throws -> StoredTensor { try shard(for: name).read(name) }
    public func readFloat(_ name: String) throws -> Tensor { try shard(for: name).readFloat(name) }
    public func evict(_ name: String) { (try? shard(for: name))?.evict(name) }
    public func mapped(_ name: String) -> MappedTensor? { (try? shard(for: name))?.mapped(name) }
    public func info(_ name: String) -> TensorInfo? { (try? shard(for: name))?.info(name) }
    public var copiedBytes: Int { shards.values.reduce(0) { $0 + $1.copiedBytes } }
}
