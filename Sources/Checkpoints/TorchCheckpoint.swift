import Foundation
import Tensors

/// A `torch.save` zip archive (`.pt`, `.pth`, `.bin`) read without executing any pickle code.
///
/// The pickle is interpreted by ``SafeUnpickler`` and flattened to state-dict names by these
/// rules, in order:
///
/// 1. A dict (or `OrderedDict`) whose values are all tensors is the state dict.
/// 2. A dict with exactly one of the keys `state_dict`, `model`, `module` holding a dict of tensors
///    or a pickled module uses that value (e.g. `{'state_dict': {...}, 'epoch': 3}`).
/// 3. A whole pickled `torch.nn.Module` (e.g. `src.models.modeling.ImageEncoder`) is walked as
///    `module.state_dict()` does: each module's `_parameters`, then its `_buffers` except those in
///    `_non_persistent_buffers_set`, then its `_modules` recursively with `name.` prefixes, giving
///    `model.visual.transformer.resblocks.0.attn.in_proj_weight`; `None` entries are skipped.
///
/// Tensors are views (storage, offset, size, stride); ``mapped(_:)`` hands out a contiguous
/// little-endian view in place (no copy), and ``read(_:)`` materialises any view as contiguous
/// little-endian bytes. Every view is bounds-checked against its storage record when
/// the archive is opened.
public final class TorchCheckpoint: CheckpointReader, @unchecked Sendable {
    public let url: URL
    public var format: CheckpointFormat { .pytorchZip }
    public let tensors: [TensorInfo]
    public let metadata: [String: String] = [:]
    /// The archive layer (prefix, byte order, unpickled root).
    let archive: TorchArchive
    /// The class of a pickled top-level module, e.g. `src.models.modeling.ClassificationHead`;
    /// `nil` for state dicts.
    public let pickledClass: String?
    /// Scalar attributes of a pickled top-level module (e.g. `normalize`, `in_features`).
    package let pickledAttributes: [String: PickleValue]
    private let views: [PickleTensor]
    private let index: [String: Int]

    /// Opens the archive mapped in `file`, validating every tensor view against its record.
    /// - Throws: ``CheckpointError`` for a damaged archive, a refused pickle, TorchScript, or a
    ///   pickle that holds no state dict.
    public init(url: URL, file: MappedFile) throws {
        self.url = url
        archive = try TorchArchive(url: url, file: file)
        let root = archive.root
        if case .object(let o) = root {
            pickledClass = o.type.qualifiedName
            var attributes: [String: PickleValue] = [:]
            for pair in o.state.dict ?? [] {
                if let key = pair.key.string, pair.value.isScalar { attributes[key] = pair.value }
            }
            pickledAttributes = attributes
        } else {
            pickledClass = nil
            pickledAttributes = [:]
        }
        var entries: [(name: String, view: PickleTensor)] = []
        try TorchCheckpoint.collect(root, path: url.path, into: &entries)
        var infos: [TensorInfo] = []
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            guard index[e.name] == nil else { throw CheckpointError.duplicateTensor(path: url.path, tensor: e.name) }
            index[e.name] = i
            _ = try archive.viewRange(e.view, tensor: e.name)
            infos.append(TensorInfo(name: e.name, dtype: e.view.dtype, shape: e.view.shape))
        }
        tensors = infos
        views = entries.map(\.view)
        self.index = index
        // Checking the views read a local header before every storage: unmap those pages, which
        // the kernel maps a large folio at a time where the page cache holds the file in 2 MB
        // folios (then 0.7 GB of 8 ViT-B/32 checkpoints stayed resident until each tensor was read).
        file.release(0..<file.count)
    }

    /// Opens `url`.
    public convenience init(url: URL) throws {
        try self.init(url: url, file: try MappedFile(url: url))
    }

    public func read(_ name: String) throws -> StoredTensor {
        guard let i = index[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        let t = try archive.materialize(views[i], tensor: name)
        copies.add(t.data.count)
        return t
    }

    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    private let copies = CopiedBytes()
    public var copiedBytes: Int { copies.count }

    public func readFloat(_ name: String) throws -> Tensor {
        guard let i = index[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        let info = tensors[i]
        guard info.dtype.isConvertible else { throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: info.dtype.rawValue) }
        if let m = mapped(name) { return MappedTensor.decodeFloat(m, info: info, counter: copies) }
        let stored = try archive.materialize(views[i], tensor: name)
        copies.add(stored.data.count)
        do { return try stored.floatTensor() } catch {
            throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: stored.dtype.rawValue)
        }
    }

    /// The view's bytes in place when it is contiguous and the archive little-endian (validated
    /// against its record when the archive was opened).
    public func mapped(_ name: String) -> MappedTensor? {
        guard let i = index[name] else { return nil }
        let view = views[i]
        guard view.isContiguous, !archive.isBigEndian,
              let total = StoredTensor.byteCount(dtype: view.dtype, shape: view.shape),
              let range = try? archive.viewRange(view, tensor: name), range.count >= total else { return nil }
        return MappedTensor(file: archive.zip.file, range: range.lowerBound..<(range.lowerBound + total))
    }

    public func evict(_ name: String) {
        guard let i = index[name], let range = try? archive.viewRange(views[i], tensor: name) else { return }
        archive.zip.file.release(range)
    }

    /// The storage view behind `name` (for tools that want to know about sharing).
    package func view(_ name: String) -> PickleTensor? {
        index[name].map { views[$0] }
    }

    // MARK: - Flattening

    static func isTensorDict(_ pairs: [PicklePair]) -> Bool {
        pairs.allSatisfy { $0.key.string != nil && $0.value.tensor != nil }
    }

    static func isModule(_ value: PickleValue) -> Bool {
        guard let o = value.object else { return false }
        return o.state["_parameters"] != nil || o.state["_modules"] != nil
    }

    static func collect(_ root: PickleValue, path: String, into out: inout [(name: String, view: PickleTensor)]) throws {
        switch root {
        case .dict(let pairs) where isTensorDict(pairs):
            for p in pairs { if let k = p.key.string, let t = p.value.tensor { out.append((k, t)) } }
        case .dict(let pairs):
            let candidates = ["state_dict", "model", "module"].compactMap { key -> PickleValue? in
                guard let v = root[key] else { return nil }
                if let d = v.dict, isTensorDict(d) { return v }
                return isModule(v) ? v : nil
            }
            guard candidates.count == 1 else {
                let keys = pairs.prefix(12).map { $0.key.string.map { "'\($0)'" } ?? "<non-string>" }.joined(separator: ", ")
                throw CheckpointError.unrecognizedFormat(path: path, hint: candidates.isEmpty
                    ? "the pickle is a dict (keys \(keys)) with neither tensor values nor a state dict under 'state_dict', 'model' or 'module'"
                    : "the pickle holds several state dicts (under 'state_dict', 'model', 'module'); save the one to read on its own")
            }
            try collect(candidates[0], path: path, into: &out)
        case .object(let o) where isModule(root):
            var budget = maxModules
            try walk(o, prefix: "", path: path, depth: 0, budget: &budget, into: &out)
        default:
            throw CheckpointError.unrecognizedFormat(path: path, hint: "the pickle holds \(describe(root)), not a state dict or a torch.nn.Module")
        }
    }

    /// Most modules a walk visits: a hostile pickle can share one submodule under two names at
    /// every level, which would make the walk exponential. (A ViT-L/14 has under 500 modules.)
    static let maxModules = 100_000

    /// `module.state_dict()`: parameters, persistent buffers, then children.
    static func walk(_ module: PickleObject, prefix: String, path: String, depth: Int, budget: inout Int,
                     into out: inout [(name: String, view: PickleTensor)]) throws {
        guard depth < 200 else { throw CheckpointError.unrecognizedFormat(path: path, hint: "modules nested deeper than 200 levels at '\(prefix)'") }
        budget -= 1
        guard budget >= 0 else { throw CheckpointError.unrecognizedFormat(path: path, hint: "more than \(maxModules) submodules (shared submodules repeated exponentially?)") }
        let state = module.state
        func named(_ key: String) throws -> [PicklePair] {
            guard let v = state[key] else { return [] }
            guard let d = v.dict else {
                throw CheckpointError.unrecognizedFormat(path: path, hint: "module '\(prefix)' (\(module.type.qualifiedName)) has \(key) of \(describe(v)), not a dict")
            }
            return d
        }
        let nonPersistent = Set((state["_non_persistent_buffers_set"]?.items ?? []).compactMap(\.string))
        for (key, skip) in [("_parameters", Set<String>()), ("_buffers", nonPersistent)] {
            for p in try named(key) {
                guard let name = p.key.string else { continue }
                if skip.contains(name) { continue }
                switch p.value {
                case .none: continue
                case .tensor(let t): out.append((prefix + name, t))
                default:
                    throw CheckpointError.unrecognizedFormat(path: path, hint: "'\(prefix + name)' in \(key) of \(module.type.qualifiedName) is \(describe(p.value)), not a tensor")
                }
            }
        }
        for p in try named("_modules") {
            guard let name = p.key.string else { continue }
            switch p.value {
            case .none: continue
            case .object(let child):
                try walk(child, prefix: prefix + name + ".", path: path, depth: depth + 1, budget: &budget, into: &out)
            default:
                throw CheckpointError.unrecognizedFormat(path: path, hint: "submodule '\(prefix + name)' is \(describe(p.value)), not a module")
            }
        }
    }

    static func describe(_ v: PickleValue) -> String {
        switch v {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .float: return "a float"
        case .string: return "a str"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .set: return "a set"
        case .dict: return "a dict"
        case .global(let g): return "the global '\(g)'"
        case .object(let o): return "an object of class \(o.type.qualifiedName)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}
