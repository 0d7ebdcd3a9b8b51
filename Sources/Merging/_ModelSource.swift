import Foundation
import CMergeKernels
import Checkpoints
import Tensors

/// Reads chunks of one checkpoint's tensors as `Float`, in place when the tensor's bytes are
/// mapped (``CheckpointReader/mapped(_:)``: safetensors, sharded folders and contiguous `.pt`
/// views alike), converting chunk by chunk for other dtypes, and releases the mapped pages
/// afterwards. Only a tensor that cannot be mapped (a strided or big-endian `.pt` view) is
/// materialised whole.
final class _ModelSource {
    let reader: any CheckpointReader
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchCount: Int
    private var whole: UnsafeMutablePointer<Float>?
    private var wholeCapacity = 0
    private var wholeKey: String?
    /// The mapping of the tensor being streamed (looked up once per tensor).
    private var current: (name: String, mapped: MappedTensor?)?

    init(reader: any CheckpointReader, chunkSize: Int) {
        self.reader = reader
        scratchCount = chunkSize
        scratch = .allocate(capacity: chunkSize)
    }

    deinit {
        scratch.deallocate()
        whole?.deallocate()
    }

    private func mapping(_ info: TensorInfo) -> MappedTensor? {
        if let c = current, c.name == info.name { return c.mapped }
        let m = reader.mapped(info.name)
        current = (info.name, m)
        return m
    }

    /// Values `range` of tensor `info` as `Float`; valid until the next call.
    func chunk(_ info: TensorInfo, _ range: Range<Int>) throws -> UnsafePointer<Float> {
        if let m = mapping(info), info.dtype.isConvertible, let size = info.dtype.byteSize {
            let raw = m.bytes
            if info.dtype == .f32, let base = raw.baseAddress, Int(bitPattern: base) % 4 == 0 {
                return base.assumingMemoryBound(to: Float.self) + range.lowerBound
            }
            precondition(range.count <= scratchCount)
            let slice = UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound * size)..<(range.upperBound * size)])
            if info.dtype == .bf16, let base = slice.baseAddress, Int(bitPattern: base) % 2 == 0 {
                // The LLM case: a vectorized kernel (the same bits as DTypeConversion's).
                lines_bf16_to_f32(base.assumingMemoryBound(to: UInt16.self), scratch, Int64(range.count))
            } else {
                DTypeConversion.decode(slice, dtype: info.dtype, count: range.count, into: scratch)
            }
            return UnsafePointer(scratch)
        }
        if wholeKey != info.name {
            let t = try reader.readFloat(info.name)
            if wholeCapacity < t.count {
                whole?.deallocate()
                whole = .allocate(capacity: max(t.count, 1))
                wholeCapacity = max(t.count, 1)
            }
            t.scalars.withUnsafeBufferPointer { p in
                if let b = p.baseAddress { whole?.update(from: b, count: p.count) }
            }
            wholeKey = info.name
        }
        guard let whole else { return UnsafePointer(scratch) }
        return UnsafePointer(whole + range.lowerBound)
    }

    /// Maps the pages of `range` ahead of reading them (one call instead of a fault per few pages).
    func populate(_ info: TensorInfo, _ range: Range<Int>) {
        guard let m = mapping(info), let size = info.dtype.byteSize else { return }
        m.populate((range.lowerBound * size)..<(range.upperBound * size))
    }

    /// Drops the mapped pages of `range` from the resident set. Workers call it concurrently
    /// while `info` is the current tensor, so it only reads the cached mapping.
    func release(_ info: TensorInfo, _ range: Range<Int>) {
        let m: MappedTensor?
        if let c = current, c.name == info.name { m = c.mapped } else { m = reader.mapped(info.name) }
        guard let m, let size = info.dtype.byteSize else { return }
        m.release((range.lowerBound * size)..<(range.upperBound * size))
    }

    /// Done with `info`: evict its pages and forget any cached copy.
    func finish(_ info: TensorInfo) {
        reader.evict(info.name)
        wholeKey = nil
        current = nil
    }
}
