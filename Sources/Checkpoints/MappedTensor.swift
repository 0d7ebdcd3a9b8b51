import Foundation
import Tensors

/// Where one tensor's bytes lie in a memory-mapped file when they can be used in place:
/// contiguous, row-major and little-endian, exactly `count × element size` bytes.
///
/// Safetensors tensors always qualify; `torch.save` tensors do when their view is contiguous and
/// the archive is little-endian (every archive a current PyTorch writes on x86-64 or ARM), so a
/// merge or a model load reads `.pt` files as it reads safetensors: no copy, pages faulted in on
/// first touch and released after use.
public struct MappedTensor: Sendable {
    /// The map the bytes point into.
    public let file: MappedFile
    /// The absolute byte range of the tensor's data in `file`.
    public let range: Range<Int>

    public init(file: MappedFile, range: Range<Int>) {
        self.file = file
        self.range = range
    }

    /// The tensor's bytes (valid while `file` lives).
    public var bytes: UnsafeRawBufferPointer { file.bytes(range) }

    /// Maps the pages of the byte range `sub` (relative to the tensor's first byte) in one call.
    public func populate(_ sub: Range<Int>) {
        file.populate((range.lowerBound + sub.lowerBound)..<(range.lowerBound + sub.upperBound))
    }

    /// Drops the pages of the byte range `sub` (relative to the tensor's first byte) from the
    /// resident set; they stay in the page cache.
    public func release(_ sub: Range<Int>) {
        file.release((range.lowerBound + sub.lowerBound)..<(range.lowerBound + sub.upperBound))
    }
}

/// Counts the tensor bytes one reader copies out of its mapped file into new buffers
/// (``CheckpointReader/read(_:)``, ``CheckpointReader/readFloat(_:)``), so tests can check that a
/// streaming merge copies none. Thread-safe.
public final class CopiedBytes: Sendable {
    private let total = Locked(0)

    public init() {}

    /// Bytes copied so far.
    public var count: Int { total.withLock { $0 } }

    /// Adds `n` copied bytes.
    public func add(_ n: Int) { total.withLock { $0 += n } }
}

extension MappedTensor {
    /// Decodes the mapped bytes of `info` into a new `Float` tensor (one copy, counted in `counter`).
    static func decodeFloat(_ m: MappedTensor, info: TensorInfo, counter: CopiedBytes?) -> Tensor {
        var out = [Float](repeating: 0, count: info.count)
        out.withUnsafeMutableBufferPointer { d in
            if let base = d.baseAddress { DTypeConversion.decode(m.bytes, dtype: info.dtype, count: info.count, into: base) }
        }
        counter?.add(m.range.count)
        return Tensor(shape: info.shape, scalars: out)
    }
}
