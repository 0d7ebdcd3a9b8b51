import Foundation
import Tensors

/// Writes a Hugging Face sharded checkpoint: `model-0000i-of-0000n.safetensors` files and
/// `model.safetensors.index.json`, split with the `huggingface_hub` rule.
///
/// Walking the tensors in the given order, a tensor larger than `maxShardSize` gets a shard of
/// its own; otherwise a new shard starts when adding the tensor would pass the limit. With one
/// shard the file is named `model.safetensors` and no index is written. Shards are written under
/// temporary names and renamed only when every tensor was written; the index comes last.
public struct ShardedSafetensorsWriter: TensorWriter {
    /// The default shard limit of `huggingface_hub` and mergekit: 5,000,000,000 bytes.
    public static let defaultMaxShardSize = 5_000_000_000
    /// The output folder.
    public let url: URL
    /// Shard file name of each tensor.
    public let weightMap: [String: String]
    /// Sum of tensor bytes (not file sizes), as `metadata.total_size`.
    public let totalSize: Int
    private var shards: [String: SafetensorsWriter]
    private let shardNames: [String]
    private let order: [String]

    /// Plans the shards and opens a writer for each.
    public init(folder: URL, tensors: [TensorInfo], metadata: [String: String]?, maxShardSize: Int) throws {
        guard maxShardSize > 0 else { throw CheckpointError.shard(path: folder.path, reason: "max shard size must be positive") }
        url = folder
        var groups: [[TensorInfo]] = []
        var current: [TensorInfo] = []
        var currentSize = 0
        for t in tensors {
            let size = t.byteCount
            if size > maxShardSize { groups.append([t]); continue }
            if currentSize + size > maxShardSize, !current.isEmpty {
                groups.append(current)
                current = []
                currentSize = 0
            }
            current.append(t)
            currentSize += size
        }
        if !current.isEmpty || groups.isEmpty { groups.append(current) }
        let n = groups.count
        let names = (1...n).map { i in
            n == 1 ? "model.safetensors" : "model-\(ShardedSafetensorsWriter.pad5(i))-of-\(ShardedSafetensorsWriter.pad5(n)).safetensors"
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.io(path: folder.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        var map: [String: String] = [:]
        var writers: [String: SafetensorsWriter] = [:]
        for (g, name) in zip(groups, names) {
            for t in g { map[t.name] = name }
            writers[name] = try SafetensorsWriter(url: folder.appendingPathComponent(name), tensors: g, metadata: metadata)
        }
        weightMap = map
        totalSize = tensors.reduce(0) { $0 + $1.byteCount }
        shards = writers
        shardNames = names
        order = tensors.map(\.name)
    }

    static func pad5(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 5 - s.count)) + s
    }

    public mutating func write(_ name: String, _ tensor: StoredTensor) throws {
        guard let shard = weightMap[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        try shards[shard]!.write(name, tensor)
    }

    public mutating func write(_ name: String, floats: UnsafeBufferPointer<Float>) throws {
        guard let shard = weightMap[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        try shards[shard]!.write(name, floats: floats)
    }

    /// The index JSON exactly as `huggingface_hub.save_torch_state_dict` writes it
    /// (`json.dump(index, f, indent=2)`: tensors in writing order, ASCII-escaped, no final newline).
    public var indexJSON: String {
        var s = "{\n  \"metadata\": {\n    \"total_size\": \(totalSize)\n  },\n  \"weight_map\": {\n"
        s += order.map { "    \(JSONText.quote($0, asciiOnly: true)): \(JSONText.quote(weightMap[$0]!, asciiOnly: true))" }.joined(separator: ",\n")
        s += "\n  }\n}"
        return s
    }

    public func finish() throws {
        for name in shardNames { try shards[name]!.finish() }
        removeStaleShards()
        guard shardNames.count > 1 else { return }
        let index = try AtomicFile(url: url.appendingPathComponent("model.safetensors.index.json"))
        do {
            try index.write(Array(indexJSON.utf8), at: 0)
            try index.commit()
        } catch {
            index.abandon()
            throw error
        }
    }

    /// Deletes shard files and an index left in the folder by an earlier, differently split
    /// write (as `huggingface_hub` does), so the folder holds exactly one checkpoint.
    private func removeStaleShards() {
        let fm = FileManager.default
        let current = Set(shardNames)
        for f in (try? fm.contentsOfDirectory(atPath: url.path)) ?? [] where !current.contains(f) {
            let stale = f == "model.safetensors" || f == "model.safetensors.index.json"
                || (f.hasPrefix("model-") && f.hasSuffix(".safetensors") && f.contains("-of-"))
            if stale { try? fm.removeItem(at: url.appendingPathComponent(f)) }
        }
    }

    public func abandon() {
        for w in shards.values { w.abandon() }
    }
}
