import Foundation
import Tensors

/// The container layer of a `torch.save` zip archive: its record prefix, byte order, the inert
/// value of `data.pkl`, and materialisation of tensor views from the storage records.
///
/// ``TorchCheckpoint`` builds a state dict on top of it; ``TallMaskFile`` reads dicts of arrays.
struct TorchArchive: Sendable {
    /// The archive file.
    let url: URL
    /// The parsed zip.
    let zip: ZipArchive
    /// The folder every record sits under (`archive`, or the saved file's basename).
    let prefix: String
    /// Whether the storages are big-endian (`{prefix}/byteorder` is `big`).
    let isBigEndian: Bool
    /// The unpickled `data.pkl`.
    let root: PickleValue

    /// Opens the archive in `file` and unpickles its `data.pkl` safely.
    /// - Throws: ``CheckpointError/malformedArchive(path:reason:)`` for a damaged zip or missing
    ///   records, ``CheckpointError/unrecognizedFormat(path:hint:)`` for TorchScript, and the
    ///   ``SafeUnpickler`` errors for a refused or damaged pickle.
    init(url: URL, file: MappedFile) throws {
        self.url = url
        let path = url.path
        zip = try ZipArchive(file: file)
        guard let first = zip.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw CheckpointError.malformedArchive(path: path, reason: "the first record '\(zip.entries.first?.name ?? "")' is not inside a top-level folder, as torch.save writes every record")
        }
        let prefix = String(first.name[..<slash])
        self.prefix = prefix
        if zip.entry("\(prefix)/constants.pkl") != nil || zip.entries.contains(where: { $0.name.hasPrefix("\(prefix)/code/") }) {
            throw CheckpointError.unrecognizedFormat(path: path, hint: "a TorchScript archive (torch.jit.save), not a torch.save checkpoint; convert it in Python with m = torch.jit.load(path) and torch.save(m.state_dict(), 'model.pt') or safetensors.torch.save_file(m.state_dict(), 'model.safetensors')")
        }
        guard let pkl = zip.entry("\(prefix)/data.pkl") else {
            throw CheckpointError.malformedArchive(path: path, reason: "no '\(prefix)/data.pkl' record; this zip is not a torch.save archive")
        }
        if let order = zip.entry("\(prefix)/byteorder") {
            let text = String(decoding: try zip.data(order), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            switch text {
            case "little": isBigEndian = false
            case "big": isBigEndian = true
            default: throw CheckpointError.malformedArchive(path: path, reason: "'\(prefix)/byteorder' is '\(text)', expected 'little' or 'big'")
            }
        } else {
            isBigEndian = false
        }
        root = try SafeUnpickler(path: "\(path) [\(prefix)/data.pkl]").load(try zip.data(pkl))
    }

    /// Opens `url`.
    init(url: URL) throws {
        try self.init(url: url, file: try MappedFile(url: url))
    }

    /// The absolute byte range of a storage record.
    /// - Throws: ``CheckpointError/storageOutOfBounds(path:tensor:storage:needed:available:)``
    ///   when the record is missing.
    func storageRange(_ storage: PickleStorage, tensor: String) throws -> Range<Int> {
        guard let entry = zip.entry("\(prefix)/data/\(storage.key)") else {
            throw CheckpointError.storageOutOfBounds(path: url.path, tensor: tensor, storage: "\(prefix)/data/\(storage.key) (missing)", needed: storage.count, available: 0)
        }
        return try zip.dataRange(entry)
    }

    /// The absolute byte range of the storage bytes `view` touches, checked against its record.
    /// - Throws: ``CheckpointError/storageOutOfBounds(path:tensor:storage:needed:available:)``
    ///   when the view runs past the record, ``CheckpointError/validationOverflow(path:tensor:shape:)``
    ///   when its extent overflows.
    func viewRange(_ view: PickleTensor, tensor: String) throws -> Range<Int> {
        let record = try storageRange(view.storage, tensor: tensor)
        guard let size = view.dtype.byteSize, let extent = view.storageExtent,
              StoredTensor.byteCount(dtype: view.dtype, shape: view.shape) != nil else {
            throw CheckpointError.validationOverflow(path: url.path, tensor: tensor, shape: view.shape)
        }
        if extent == 0 { return record.lowerBound..<record.lowerBound }
        let (needed, o) = extent.multipliedReportingOverflow(by: size)
        guard !o else { throw CheckpointError.validationOverflow(path: url.path, tensor: tensor, shape: view.shape) }
        guard needed <= record.count else {
            throw CheckpointError.storageOutOfBounds(path: url.path, tensor: tensor, storage: "\(prefix)/data/\(view.storage.key)", needed: needed, available: record.count)
        }
        return (record.lowerBound + view.offset * size)..<(record.lowerBound + needed)
    }

    /// Copies `view` into contiguous, row-major, little-endian bytes, following its offset and
    /// strides and byte-swapping big-endian storages.
    /// - Throws: as ``viewRange(_:tensor:)``.
    func materialize(_ view: PickleTensor, tensor: String) throws -> StoredTensor {
        let range = try viewRange(view, tensor: tensor)
        guard let size = view.dtype.byteSize, let total = StoredTensor.byteCount(dtype: view.dtype, shape: view.shape) else {
            throw CheckpointError.validationOverflow(path: url.path, tensor: tensor, shape: view.shape)
        }
        // A view can read its storage's bytes many times over (stride 0 or overlapping strides):
        // never allocate more than the whole archive holds (a 600-byte file could ask for 8 GB).
        if total > zip.file.count, !view.isContiguous {
            throw CheckpointError.io(path: url.path, reason: "tensor '\(tensor)' is a view of shape \(view.shape) with strides \(view.stride) that would expand \(range.count) bytes of storage into \(total) bytes, more than the whole \(zip.file.count)-byte file; refused (save it with .contiguous() if it is real)")
        }
        var out = [UInt8](repeating: 0, count: total)
        if total > 0 {
            // `range` starts at the view's first element and is bounds-checked for every
            // element the strides reach.
            let src = zip.file.bytes(range)
            out.withUnsafeMutableBytes { dst in
                guard let d = dst.baseAddress, let s = src.baseAddress else { return }
                if view.isContiguous {
                    d.copyMemory(from: s, byteCount: total)
                } else {
                    TorchArchive.gather(view, elementSize: size, from: s, into: d)
                }
                if isBigEndian { TorchArchive.swapBytes(d, count: total / size, elementSize: size) }
            }
        }
        return StoredTensor(dtype: view.dtype, shape: view.shape, data: out)
    }

    /// Strided copy; `src` points at the view's first element.
    static func gather(_ view: PickleTensor, elementSize es: Int, from src: UnsafeRawPointer, into dst: UnsafeMutableRawPointer) {
        let shape = view.shape, stride = view.stride
        guard let inner = shape.last, let innerStride = stride.last, inner > 0 else { return }
        let outer = shape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: shape.count - 1)
        var base = 0
        var d = 0
        for _ in 0..<outer {
            if innerStride == 1 {
                (dst + d).copyMemory(from: src + base * es, byteCount: inner * es)
                d += inner * es
            } else {
                for j in 0..<inner {
                    (dst + d).copyMemory(from: src + (base + j * innerStride) * es, byteCount: es)
                    d += es
                }
            }
            var k = shape.count - 2
            while k >= 0 {
                index[k] += 1
                base += stride[k]
                if index[k] < shape[k] { break }
                base -= stride[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
    }

    /// Reverses the bytes of each of `count` elements in place.
    static func swapBytes(_ p: UnsafeMutableRawPointer, count: Int, elementSize: Int) {
        func swap<T: FixedWidthInteger>(_: T.Type) {
            for i in 0..<count {
                let v = p.loadUnaligned(fromByteOffset: i * elementSize, as: T.self)
                p.storeBytes(of: v.byteSwapped, toByteOffset: i * elementSize, as: T.self)
            }
        }
        switch elementSize {
        case 2: swap(UInt16.self)
        case 4: swap(UInt32.self)
        case 8: swap(UInt64.self)
        default: break
        }
    }
}
