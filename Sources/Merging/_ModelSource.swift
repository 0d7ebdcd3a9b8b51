import Foundation
import Checkpoints
import Tensors

/// Reads chunks of one checkpoint's tensors as `Float`, without copying when the file is a
/// memory-mapped little-endian F32 safetensors file, and releases the mapped pages afterwards.
final class _ModelSource {
    let reader: any CheckpointReader
    private let safetensors: SafetensorsFile?
    private let scratch: UnsafeMutablePointer<Float>
    private let scratchCount: Int
    private var whole: UnsafeMutablePointer<Float>?
    private var wholeCapacity = 0
    private var wholeKey: String?

    init(reader: any CheckpointReader, chunkSize: Int) {
        self.reader = reader
        safetensors = reader as? SafetensorsFile
        scratchCount = chunkSize
        scratch = .allocate(capacity: chunkSize)
    }

    deinit {
        scratch.deallocate()
        whole?.deallocate()
    }

    /// Values `range` of tensor `info` as `Float`; valid until the next call.
    func chunk(_ info: TensorInfo, _ range: Range<Int>) throws -> UnsafePointer<Float> {
        if let st = safetensors {
            let raw = try st.rawBytes(info.name)
            let size = info.dtype.byteSize ?? 1
            if info.dtype == .f32, let base = raw.baseAddress, Int(bitPattern: base) % 4 == 0 {
                return base.assumingMemoryBound(to: Float.self) + range.lowerBound
            }
            precondition(range.count <= scratchCount)
            let slice = UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound * size)..<(range.upperBound * size)])
            DTypeConversion.decode(slice, dtype: info.dtype, count: range.count, into: scratch)
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

    /// Drops the mapped pages of `range` from the resident set.
    func release(_ info: TensorInfo, _ range: Range<Int>) {
        guard let st = safetensors, let r = st.ranges[info.name], let size = info.dtype.byteSize else { return }
        st.file.release((r.lowerBound + range.lowerBound * size)..<(r.lowerBound + range.upperBound * size))
    }

    /// Done with `info`: evict its pages and forget any cached copy.
    func finish(_ info: TensorInfo) {
        reader.evict(info.name)
        wholeKey = nil
    }
}
