import Foundation
import Tensors

/// Writes a Hugging Face sharded checkpoint: `model-0000i-of-0000n.safetensors` files and
/// `model.safetensors.index.json`, split with the `huggingface_hub` rule.
///
/// Walking the tensors in the given order, a tensor larger than `maxShardSize` gets a shard of
/// its own; otherwise a new shard starts when adding the tensor would pass the limit. With one
/// shard the file is named `model.safetensors` and no index is written.
///
/// The folder is built whole in a temporary sibling (`.NAME.lines-tmp-…`) and renamed into place
/// when every shard and the index are durable, so a kill never leaves shards without their index
/// or old and new shards mixed. An existing output folder is swapped out (set aside, the new one
/// renamed in, the old one removed); one that holds anything but a checkpoint's files is refused.
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
    /// The temporary folder the shards are written in.
    private let staging: URL
    /// Files written beside the shards before the folder is renamed into place (a model folder's
    /// `config.json`, tokenizer files, model card), by name; only ``companionFileNames`` are taken.
    public var companionFiles: [(name: String, bytes: [UInt8])] = []

    /// The files of a Hugging Face model folder besides its weights, which a merge output carries.
    public static let companionFileNames: Set<String> = [
        "config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json",
        "tokenizer.model", "added_tokens.json", "merges.txt", "vocab.txt", "vocab.json", "spiece.model",
        "chat_template.jinja", "chat_template.json", "preprocessor_config.json", "README.md", "mergekit_config.yml",
    ]

    /// The line a model card written by Lines holds, which marks an output folder as replaceable.
    public static let ownedFolderMarker = "<!-- written by lines merge -->"

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
        try Self.checkReplaceable(folder)
        let parent = folder.deletingLastPathComponent()
        TemporaryFiles.removeStale(next: folder)
        let staging = TemporaryFiles.sibling(of: folder)
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.io(path: folder.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        TemporaryFiles.register(staging)
        self.staging = staging
        var map: [String: String] = [:]
        var writers: [String: SafetensorsWriter] = [:]
        for (g, name) in zip(groups, names) {
            for t in g { map[t.name] = name }
            writers[name] = try SafetensorsWriter(url: staging.appendingPathComponent(name), tensors: g, metadata: metadata)
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

    /// ``SafetensorsWriter/writePart(_:bytes:at:)`` in the tensor's shard.
    public func writePart(_ name: String, bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard let shard = weightMap[name], let writer = shards[shard] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        try writer.writePart(name, bytes: bytes, at: offset)
    }

    /// ``SafetensorsWriter/startWriteback(_:bytes:)`` in the tensor's shard.
    public func startWriteback(_ name: String, bytes range: Range<Int>) {
        guard let shard = weightMap[name], let writer = shards[shard] else { return }
        writer.startWriteback(name, bytes: range)
    }

    /// ``SafetensorsWriter/markWritten(_:)`` in the tensor's shard.
    public mutating func markWritten(_ name: String) {
        guard let shard = weightMap[name] else { return }
        shards[shard]?.markWritten(name)
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
        do {
            for name in shardNames { try shards[name]!.finish() }
            if shardNames.count > 1 {
                let index = try AtomicFile(url: staging.appendingPathComponent("model.safetensors.index.json"))
                do {
                    try index.write(Array(indexJSON.utf8), at: 0)
                    try index.commit()
                } catch {
                    index.abandon()
                    throw error
                }
            }
            for file in companionFiles {
                guard Self.companionFileNames.contains(file.name) else {
                    throw CheckpointError.io(path: url.path, reason: "'\(file.name)' is not a model folder file this writer adds")
                }
                let f = try AtomicFile(url: staging.appendingPathComponent(file.name))
                do {
                    try f.write(file.bytes, at: 0)
                    try f.commit()
                } catch {
                    f.abandon()
                    throw error
                }
            }
            try install()
        } catch {
            abandon()
            throw error
        }
    }

    /// The files a checkpoint folder written here may hold.
    static func isCheckpointFile(_ name: String) -> Bool {
        name == "model.safetensors" || name == "model.safetensors.index.json"
            || (name.hasPrefix("model-") && name.hasSuffix(".safetensors") && name.contains("-of-"))
    }

    /// Refuses an output that is a file, or a folder holding anything but checkpoint files
    /// (a model folder's config, tokenizer or a user's files would be lost in the swap).
    static func checkReplaceable(_ folder: URL) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else {
            throw CheckpointError.io(path: folder.path, reason: "the output is an existing file, not a folder; a sharded checkpoint is a folder (choose another name, or remove the file)")
        }
        let present = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        // A model folder this writer made (its card carries the marker) may be replaced whole.
        let card = (try? String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        let owned = card.contains(ownedFolderMarker)
        let others = present.filter { !isCheckpointFile($0) && !(owned && companionFileNames.contains($0)) }.sorted()
        let parent = folder.deletingLastPathComponent()
        var a = stat(), b = stat()
        if stat(folder.path, &a) == 0, stat(parent.path, &b) == 0, a.st_dev != b.st_dev {
            throw CheckpointError.io(path: folder.path, reason: "the output folder is a mount point; a sharded checkpoint is built beside it and renamed into place, which cannot cross file systems: write to a new folder inside it")
        }
        if access(parent.path, W_OK) != 0 {
            throw CheckpointError.io(path: folder.path, reason: "the folder holding the output (\(parent.path)) is not writable; a sharded checkpoint is built beside the output and renamed into place: write to a new folder inside a writable one")
        }
        guard others.isEmpty else {
            throw CheckpointError.io(path: folder.path, reason: "the output folder exists and holds other files (\(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", …" : "")); writing the checkpoint would replace the folder: choose a new or empty folder")
        }
    }

    /// Renames the finished staging folder onto ``url``, setting an existing one aside first and
    /// removing it once the new one is in place; fsyncs the parent folder.
    private func install() throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        func fsyncFolder(_ u: URL) { let fd = open(u.path, O_RDONLY); if fd >= 0 { _ = fsync(fd); close(fd) } }
        fsyncFolder(staging)
        try AtomicFile.beforeCommit?()
        try Self.checkReplaceable(url)
        var old: URL?
        if fm.fileExists(atPath: url.path), Self.exchange(staging, url) {
            // One atomic step: the new folder is in place and the old one sits at the staging
            // name (still registered, so a signal now removes it, and so does the next write
            // after a kill -9).
            fsyncFolder(parent)
            try? fm.removeItem(at: staging)
            TemporaryFiles.unregister(staging)
            return
        }
        if fm.fileExists(atPath: url.path) {
            let aside = TemporaryFiles.sibling(of: url, kind: "old")
            guard rename(url.path, aside.path) == 0 else {
                throw CheckpointError.io(path: url.path, reason: "cannot set the old output folder aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(staging.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old.path, url.path) }
            throw CheckpointError.io(path: url.path, reason: "cannot rename the new folder into place: \(reason)")
        }
        TemporaryFiles.unregister(staging)
        fsyncFolder(parent)
        if let old { try? fm.removeItem(at: old) }
    }

    /// Swaps two paths in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`, looked up at run
    /// time); false where the system or the file system cannot, and the caller renames twice.
    static func exchange(_ a: URL, _ b: URL) -> Bool {
        #if os(Linux)
        guard let f = renameat2 else { return false }
        return f(AT_FDCWD, a.path, AT_FDCWD, b.path, 2 /* RENAME_EXCHANGE */) == 0
        #else
        return false
        #endif
    }

    #if os(Linux)
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameat2: RenameAt2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(sym, to: RenameAt2.self)
    }()
    #endif

    public func abandon() {
        for w in shards.values { w.abandon() }
        try? FileManager.default.removeItem(at: staging)
        TemporaryFiles.unregister(staging)
    }
}
