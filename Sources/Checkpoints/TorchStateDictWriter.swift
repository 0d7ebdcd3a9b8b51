import Foundation
import Tensors

/// Writes a flat state dict as a `torch.save` zip archive, the file `torch.save(model.state_dict(),
/// path)` writes (archive format version 3, pickle protocol 2, one storage per tensor, records
/// stored uncompressed with their data 64-byte aligned), which `torch.load(path,
/// weights_only=True)` reads. Written atomically.
///
/// The pickle is an `OrderedDict` of `torch._utils._rebuild_tensor_v2(storage, 0, size, stride,
/// False, OrderedDict())` with persistent ids `('storage', torch.<T>Storage, key, 'cpu', numel)`.
/// Archives of 4 GiB or more (which need ZIP64) are refused.
public enum TorchStateDictWriter {
    /// Writes `tensors` (in order) to `url`; `archiveName` is the archive's top folder (PyTorch
    /// uses the file's stem; any name loads).
    /// - Throws: ``CheckpointError/unsupportedDType(path:tensor:dtype:)`` for a dtype PyTorch has
    ///   no storage class for here, ``CheckpointError/io(path:reason:)`` when writing fails or the
    ///   archive would need ZIP64.
    public static func save(_ tensors: [(String, StoredTensor)], to url: URL, archiveName: String = "archive") throws {
        var pickle = _PickleWriter()
        pickle.proto(2)
        pickle.global("collections", "OrderedDict")
        pickle.op(.emptyTuple)
        pickle.op(.reduce)
        pickle.op(.mark)
        for (index, (name, tensor)) in tensors.enumerated() {
            guard let storage = storageClass(tensor.dtype) else {
                throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: tensor.dtype.rawValue)
            }
            pickle.string(name)
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.op(.mark)
            pickle.op(.mark)
            pickle.string("storage")
            pickle.global("torch", storage)
            pickle.string(String(index))
            pickle.string("cpu")
            pickle.int(tensor.shape.reduce(1, *))
            pickle.op(.tuple)
            pickle.op(.binPersId)
            pickle.int(0)
            tuple(&pickle, tensor.shape)
            var strides = [Int](repeating: 1, count: tensor.shape.count)
            for d in stride(from: tensor.shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * tensor.shape[d + 1] }
            tuple(&pickle, strides)
            pickle.bool(false)
            pickle.global("collections", "OrderedDict")
            pickle.op(.emptyTuple)
            pickle.op(.reduce)
            pickle.op(.tuple)
            pickle.op(.reduce)
        }
        pickle.op(.setItems)
        pickle.op(.stop)

        let file = try AtomicFile(url: url)
        var zip = _ZipWriter(file: file, path: url.path)
        do {
            try zip.add("\(archiveName)/data.pkl", pickle.bytes)
            try zip.add("\(archiveName)/byteorder", Array("little".utf8))
            for (index, (_, tensor)) in tensors.enumerated() {
                try zip.add("\(archiveName)/data/\(index)", tensor.data)
            }
            try zip.add("\(archiveName)/version", Array("3\n".utf8))
            try zip.finish()
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    static func tuple(_ p: inout _PickleWriter, _ values: [Int]) {
        if values.isEmpty { p.op(.emptyTuple); return }
        p.op(.mark)
        for v in values { p.int(v) }
        p.op(.tuple)
    }

    /// PyTorch's legacy storage class name for a dtype.
    static func storageClass(_ dtype: DType) -> String? {
        switch dtype {
        case .f32: return "FloatStorage"
        case .f16: return "HalfStorage"
        case .bf16: return "BFloat16Storage"
        case .f64: return "DoubleStorage"
        case .i64: return "LongStorage"
        case .i32: return "IntStorage"
        case .i16: return "ShortStorage"
        case .i8: return "CharStorage"
        case .u8: return "ByteStorage"
        case .bool: return "BoolStorage"
        default: return nil
        }
    }
}

/// Writes stored (uncompressed) zip records sequentially into an ``AtomicFile``, each record's
/// data aligned to 64 bytes by padding in the local header's extra field, as PyTorch does.
struct _ZipWriter {
    let file: AtomicFile
    let path: String
    var offset = 0
    var central: [UInt8] = []
    var count = 0

    init(file: AtomicFile, path: String) {
        self.file = file
        self.path = path
    }

    static func le16(_ v: Int, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: UInt32, _ out: inout [UInt8]) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }

    mutating func add(_ name: String, _ data: [UInt8]) throws {
        let nameBytes = Array(name.utf8)
        let crc = _CRC32.checksum(data)
        var pad = (64 - (offset + 30 + nameBytes.count + 4) % 64) % 64 + 4
        if pad < 4 { pad += 64 }
        guard offset + 30 + nameBytes.count + pad + data.count < Int(UInt32.max) else {
            throw CheckpointError.io(path: path, reason: "the archive would exceed 4 GiB (ZIP64 is not written)")
        }
        var header: [UInt8] = []
        Self.le32(0x0403_4B50, &header)
        Self.le16(20, &header); Self.le16(0, &header); Self.le16(0, &header)  // version, flags, stored
        Self.le16(0, &header); Self.le16(0x21, &header)  // time, date (1980-01-01)
        Self.le32(crc, &header)
        Self.le32(UInt32(data.count), &header); Self.le32(UInt32(data.count), &header)
        Self.le16(nameBytes.count, &header); Self.le16(pad, &header)
        header += nameBytes
        Self.le16(0x4246, &header); Self.le16(pad - 4, &header)  // "FB" padding record
        header += [UInt8](repeating: 0x5A, count: pad - 4)
        try header.withUnsafeBytes { try file.write($0, at: offset) }
        try data.withUnsafeBytes { if $0.count > 0 { try file.write($0, at: offset + header.count) } }

        Self.le32(0x0201_4B50, &central)
        Self.le16(20, &central); Self.le16(20, &central); Self.le16(0, &central); Self.le16(0, &central)
        Self.le16(0, &central); Self.le16(0x21, &central)
        Self.le32(crc, &central)
        Self.le32(UInt32(data.count), &central); Self.le32(UInt32(data.count), &central)
        Self.le16(nameBytes.count, &central); Self.le16(0, &central); Self.le16(0, &central)
        Self.le16(0, &central); Self.le16(0, &central); Self.le32(0, &central)
        Self.le32(UInt32(offset), &central)
        central += nameBytes
        offset += header.count + data.count
        count += 1
    }

    mutating func finish() throws {
        var end: [UInt8] = []
        Self.le32(0x0605_4B50, &end)
        Self.le16(0, &end); Self.le16(0, &end); Self.le16(count, &end); Self.le16(count, &end)
        Self.le32(UInt32(central.count), &end); Self.le32(UInt32(offset), &end)
        Self.le16(0, &end)
        let tail = central + end
        try tail.withUnsafeBytes { try file.write($0, at: offset) }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zip uses), table-driven.
enum _CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            data.withUnsafeBufferPointer { d in
                for b in d { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            }
        }
        return c ^ 0xFFFF_FFFF
    }
}
