import Foundation
import Checkpoints
import Tensors

/// A pre-trained checkpoint θ0 and T fine-tuned checkpoints θ_t, opened and checked to agree.
///
/// Opening reads headers only. Every global quantity is taken over the reference's flattened
/// vector: all keys in Python `sorted()` order, each tensor row-major (spec §2.1).
public struct MergeInputs: @unchecked Sendable {
    /// θ0.
    public let pretrained: any CheckpointReader
    /// θ_t, in task order.
    public let finetuned: [any CheckpointReader]
    /// Task names, in task order.
    public let taskNames: [String]
    /// Tensor descriptions of θ0 in flattening (sorted-key) order.
    public let tensors: [TensorInfo]
    /// Offset of each tensor in the flattened vector, parallel to ``tensors``.
    public let offsets: [Int]
    /// d: total number of values in the flattened vector.
    public let parameterCount: Int

    /// T.
    public var taskCount: Int { finetuned.count }
    /// Keys in flattening order.
    public var keys: [String] { tensors.map(\.name) }

    /// Opens and validates already-opened readers.
    /// - Throws: ``MergeError`` naming the first key whose presence, shape or dtype differs,
    ///   and the two files.
    public init(pretrained: any CheckpointReader, finetuned: [(name: String, reader: any CheckpointReader)]) throws {
        guard !finetuned.isEmpty else { throw MergeError.noTasks }
        var seen = Set<String>()
        for (n, _) in finetuned where !seen.insert(n).inserted { throw MergeError.duplicateTask(n) }
        let base = pretrained.tensors.sorted { pythonLess($0.name, $1.name) }
        let basePath = pretrained.url.path
        for info in base where !info.dtype.isConvertible {
            throw MergeError.unsupportedDType(key: info.name, dtype: info.dtype.rawValue, file: basePath)
        }
        let baseIndex = Dictionary(base.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (_, reader) in finetuned {
            let path = reader.url.path
            var names = Set<String>()
            for info in reader.tensors {
                names.insert(info.name)
                guard let b = baseIndex[info.name] else {
                    throw MergeError.missingKey(key: info.name, presentIn: path, missingFrom: basePath)
                }
                if b.shape != info.shape {
                    throw MergeError.shapeMismatch(key: info.name, expected: b.shape, found: info.shape, reference: basePath, file: path)
                }
                if b.dtype != info.dtype {
                    throw MergeError.dtypeMismatch(key: info.name, expected: b.dtype.rawValue, found: info.dtype.rawValue, reference: basePath, file: path)
                }
            }
            if let missing = base.first(where: { !names.contains($0.name) }) {
                throw MergeError.missingKey(key: missing.name, presentIn: basePath, missingFrom: path)
            }
        }
        self.pretrained = pretrained
        self.finetuned = finetuned.map(\.reader)
        self.taskNames = finetuned.map(\.name)
        self.tensors = base
        var offsets: [Int] = []
        var total = 0
        for info in base {
            offsets.append(total)
            total += info.count
        }
        self.offsets = offsets
        self.parameterCount = total
    }

    /// Opens θ0 and the task checkpoints from disk (any format ``Checkpoint/open(_:)`` reads) and validates them.
    /// - Throws: ``CheckpointError`` for unreadable files, ``MergeError`` for disagreeing ones.
    public init(pretrained: URL, finetuned: [TaskCheckpoint]) throws {
        let p = try Checkpoint.open(pretrained)
        let f = try finetuned.map { (name: $0.name, reader: try Checkpoint.open($0.url)) }
        try self.init(pretrained: p, finetuned: f)
    }

    /// The layer map LiNeS uses: from `pattern` when given, else from the detected architecture.
    /// - Throws: ``MergeError/noResidualBlocks(pattern:)`` when no key lies in a block, or the
    ///   pattern's own error.
    public func layerMap(pattern: String?) throws -> LayerMap {
        let names = keys
        if let pattern {
            let map = try LayerMap(pattern: pattern, names: names)
            guard map.layerCount > 0 else { throw MergeError.noResidualBlocks(pattern: pattern) }
            return map
        }
        guard let arch = Architecture.detect(names: names) else { throw MergeError.noResidualBlocks(pattern: nil) }
        return LayerMap(architecture: arch, names: names)
    }
}
