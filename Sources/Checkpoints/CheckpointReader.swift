import Foundation
import Tensors

/// What a checkpoint says about one tensor without reading its data.
public struct TensorInfo: Sendable, Equatable {
    /// The state-dict key, e.g. `model.visual.transformer.resblocks.0.attn.in_proj_weight`.
    public var name: String
    /// The element type as stored.
    public var dtype: DType
    /// The extent of each dimension.
    public var shape: [Int]

    public init(name: String, dtype: DType, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Bytes of the tensor at its stored dtype (0 for sub-byte types).
    public var byteCount: Int { StoredTensor.byteCount(dtype: dtype, shape: shape) ?? 0 }
}

/// The on-disk formats a checkpoint can come in.
public enum CheckpointFormat: String, Sendable, Codable {
    /// A single `.safetensors` file.
    case safetensors
    /// A folder or `*.safetensors.index.json` with shards.
    case shardedSafetensors = "sharded-safetensors"
    /// A `torch.save` zip archive (`.pt`, `.pth`, `.bin`).
    case pytorchZip = "pytorch-zip"
    /// A folder or `pytorch_model.bin.index.json` with `.bin` shards.
    case shardedPyTorch = "sharded-pytorch"
}

/// A checkpoint opened for reading: its tensor names and lazy access to each tensor.
///
/// Readers validate the whole index when opened and read tensor data only when asked, so a merge
/// can stream one tensor at a time through many checkpoints.
public protocol CheckpointReader: AnyObject, Sendable {
    /// The file or folder this checkpoint was opened from.
    var url: URL { get }
    /// The detected format.
    var format: CheckpointFormat { get }
    /// Tensor descriptions in the file's natural order (state-dict order for PyTorch files).
    var tensors: [TensorInfo] { get }
    /// Free-form metadata (`__metadata__` of safetensors; empty elsewhere).
    var metadata: [String: String] { get }
    /// Reads one tensor's bytes, materialising views and strides, in its stored dtype.
    /// - Throws: ``CheckpointError`` when the name is unknown or the data is corrupt.
    func read(_ name: String) throws -> StoredTensor
    /// Reads one tensor converted to `Float`.
    func readFloat(_ name: String) throws -> Tensor
    /// Hints that `name` will not be read again soon, so its mapped pages can leave this
    /// process's resident set (they stay in the page cache). Streaming merges call it after
    /// each tensor to keep peak memory at a few tensors.
    func evict(_ name: String)
    /// The tensor's bytes in place in a memory-mapped file, when they are contiguous, row-major and
    /// little-endian (see ``MappedTensor``); `nil` when reading it needs a copy (strided or
    /// big-endian `torch.save` views, unknown names).
    func mapped(_ name: String) -> MappedTensor?
    /// Bytes of tensor data this reader has copied out of its mapped file by ``read(_:)`` and
    /// ``readFloat(_:)`` so far (0 for readers that hold their tensors in memory).
    var copiedBytes: Int { get }
    /// The description of tensor `name`, if the checkpoint has it.
    func info(_ name: String) -> TensorInfo?
}

extension CheckpointReader {
    /// Looks up a tensor's description by name (readers with an index answer in constant time).
    public func info(_ name: String) -> TensorInfo? {
        tensors.first { $0.name == name }
    }

    /// Tensor names in sorted (lexicographic, Python `sorted()`) order: the reference's flattening order.
    public var sortedNames: [String] { tensors.map(\.name).sorted(by: pythonLess) }

    /// Default: decode straight from the map when the tensor is ``mapped(_:)``, else read the
    /// stored bytes and convert.
    public func readFloat(_ name: String) throws -> Tensor {
        if let m = mapped(name), let info = info(name) {
            guard info.dtype.isConvertible else { throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: info.dtype.rawValue) }
            return MappedTensor.decodeFloat(m, info: info, counter: nil)
        }
        let stored = try read(name)
        do { return try stored.floatTensor() } catch {
            throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: stored.dtype.rawValue)
        }
    }

    public func evict(_ name: String) {}

    public func mapped(_ name: String) -> MappedTensor? { nil }

    public var copiedBytes: Int { 0 }

    /// Total parameters (elements).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// Total bytes of tensor data at the stored dtypes.
    public var byteCount: Int { tensors.reduce(0) { $0 + $1.byteCount } }
}

/// Python's `str` ordering: by Unicode code point, which for UTF-8 equals byte order.
public func pythonLess(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
