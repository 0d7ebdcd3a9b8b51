import Foundation
import Tensors

/// TALL mask files (`TALL_mask_{T}task.npy`): a dict {task name → `np.packbits` of the flattened
/// boolean mask}, one `uint8` array per task, in the §2.1 flattening order of REFERENCE.md with
/// numpy's default big-endian bit order (bit 7 of byte 0 is element 0).
///
/// The reference saves them with `np.save` (a pickled 0-d object array) and loads them with
/// `np.load(allow_pickle=True).item()` (LiNeS) or `torch.load` (TALL); the reader accepts both an
/// `.npy` file and a `torch.save` archive of the same dict, whose values may be numpy arrays or
/// `uint8` / `bool` tensors (a `bool` array or tensor is an unpacked mask and is packed here).
public enum TallMaskFile {
    /// Reads the masks of `url` in file order.
    /// - Throws: ``CheckpointError/numpy(path:reason:)`` when the file does not hold a dict of
    ///   masks, and the ``SafeUnpickler`` errors for a refused pickle.
    public static func read(_ url: URL) throws -> [(task: String, packedBits: [UInt8])] {
        let file = try MappedFile(url: url)
        let head = file.copy(0..<min(file.count, 6)) ?? []
        let root: PickleValue
        var archive: TorchArchive?
        if head.starts(with: NumpyFile.magic) {
            let npy = try NumpyFile(file: file)
            guard npy.descr == "|O", npy.shape.isEmpty else {
                throw CheckpointError.numpy(path: url.path, reason: "holds a \(npy.descr) array of shape \(npy.shape), not a pickled dict of masks (np.save of {task: np.packbits(mask)})")
            }
            let object = try SafeUnpickler(path: url.path).load(npy.data)
            let (_, _, items) = try arrayContents(object, path: url.path, what: "the saved object")
            guard case .list(let values) = items, values.count == 1 else {
                throw CheckpointError.numpy(path: url.path, reason: "the 0-d object array does not hold exactly one object")
            }
            root = values[0]
        } else if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let a = try TorchArchive(url: url, file: file)
            archive = a
            root = a.root
        } else {
            throw CheckpointError.numpy(path: url.path, reason: "neither a .npy file nor a torch.save archive")
        }
        guard case .dict(let pairs) = root else {
            throw CheckpointError.numpy(path: url.path, reason: "holds \(TorchCheckpoint.describe(root)), not a dict {task: packed mask}")
        }
        var out: [(task: String, packedBits: [UInt8])] = []
        for pair in pairs {
            guard let task = pair.key.string else {
                throw CheckpointError.numpy(path: url.path, reason: "a mask key is \(TorchCheckpoint.describe(pair.key)), not a task name")
            }
            out.append((task, try packedBits(pair.value, task: task, archive: archive, path: url.path)))
        }
        return out
    }

    /// Writes `masks` as `np.save` would write the dict, atomically.
    ///
    /// The pickle (protocol 3) names `numpy.core.multiarray._reconstruct`, which numpy 1.x reads
    /// and numpy 2.x still resolves without a warning, so `np.load(f, allow_pickle=True).item()`
    /// returns an equal dict of `uint8` arrays under either.
    /// - Throws: ``CheckpointError/numpy(path:reason:)`` for duplicate task names or a mask over
    ///   4 GiB, ``CheckpointError/io(path:reason:)`` when writing fails.
    public static func write(_ masks: [(task: String, packedBits: [UInt8])], to url: URL) throws {
        var seen = Set<String>()
        for m in masks {
            guard seen.insert(m.task).inserted else { throw CheckpointError.numpy(path: url.path, reason: "task '\(m.task)' appears twice") }
            guard m.packedBits.count <= Int(UInt32.max) else {
                throw CheckpointError.numpy(path: url.path, reason: "the mask of '\(m.task)' is over 4 GiB, beyond pickle protocol 3")
            }
        }
        let out = try AtomicFile(url: url)
        var offset = 0
        func emit(_ bytes: [UInt8]) throws {
            try out.write(bytes, at: offset)
            offset += bytes.count
        }
        try emit(NumpyFile.header(descr: "|O", shape: []))
        var p = _PickleWriter()
        p.proto(3)
        ndarrayStart(&p)
        p.op(.mark)
        p.int(1)
        p.op(.emptyTuple)
        dtype(&p, "O8", flags: 63)
        p.bool(false)
        p.op(.emptyList)
        p.op(.emptyDict)
        for m in masks {
            p.string(m.task)
            ndarrayStart(&p)
            p.op(.mark)
            p.int(1)
            p.int(m.packedBits.count)
            p.op(.tuple1)
            dtype(&p, "u1", flags: 0)
            p.bool(false)
            p.bytesHeader(count: m.packedBits.count)
            try emit(p.bytes)
            p.bytes = []
            try emit(m.packedBits)
            p.op(.tuple)
            p.op(.build)
            p.op(.setItem)
        }
        p.op(.append)
        p.op(.tuple)
        p.op(.build)
        p.op(.stop)
        try emit(p.bytes)
        try out.commit()
    }

    // MARK: - Writing helpers

    /// `_reconstruct(numpy.ndarray, (0,), b'b')`, the empty array a BUILD then fills.
    static func ndarrayStart(_ p: inout _PickleWriter) {
        p.global("numpy.core.multiarray", "_reconstruct")
        p.global("numpy", "ndarray")
        p.int(0)
        p.op(.tuple1)
        p.bytesHeader(count: 1)
        p.bytes.append(UInt8(ascii: "b"))
        p.op(.tuple3)
        p.op(.reduce)
    }

    /// `numpy.dtype(descr, False, True)` with its `__setstate__` tuple `(3, '|', None, None, None, -1, -1, flags)`.
    static func dtype(_ p: inout _PickleWriter, _ descr: String, flags: Int) {
        p.global("numpy", "dtype")
        p.string(descr)
        p.bool(false)
        p.bool(true)
        p.op(.tuple3)
        p.op(.reduce)
        p.op(.mark)
        p.int(3)
        p.string("|")
        p.op(.none)
        p.op(.none)
        p.op(.none)
        p.int(-1)
        p.int(-1)
        p.int(flags)
        p.op(.tuple)
        p.op(.build)
    }

    // MARK: - Reading helpers

    /// The dtype string and data of a pickled `numpy.ndarray`, whose `BUILD` state is
    /// `(version, shape, dtype, is_fortran, data)`.
    static func arrayContents(_ v: PickleValue, path: String, what: String) throws -> (descr: String, count: Int, data: PickleValue) {
        func bad(_ reason: String) -> CheckpointError { .numpy(path: path, reason: "\(what): \(reason)") }
        guard let o = v.object, o.type == PickleGlobal(module: "numpy", name: "ndarray") else {
            throw bad("is \(TorchCheckpoint.describe(v)), not a numpy array")
        }
        guard let state = o.state.items, state.count == 5 else { throw bad("the array state is not (version, shape, dtype, is_fortran, data)") }
        guard let dtype = state[2].object, dtype.type == PickleGlobal(module: "numpy", name: "dtype"),
              let descr = dtype.args.first?.string else {
            throw bad("the array's dtype is not a numpy.dtype")
        }
        guard let dims = state[1].items else { throw bad("the array shape is not a tuple") }
        var count = 1
        for d in dims {
            guard let n = d.int, n >= 0, n <= Int64(Int32.max) else { throw bad("the array shape \(dims) is invalid") }
            let (m, o) = count.multipliedReportingOverflow(by: Int(n))
            guard !o else { throw bad("the array shape overflows") }
            count = m
        }
        return (descr, count, state[4])
    }

    /// Packs booleans as `np.packbits` does (big-endian bit order, zero padding).
    static func pack(_ bools: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (bools.count + 7) / 8)
        for (i, b) in bools.enumerated() where b != 0 { out[i >> 3] |= 0x80 >> UInt8(i & 7) }
        return out
    }

    static func packedBits(_ v: PickleValue, task: String, archive: TorchArchive?, path: String) throws -> [UInt8] {
        func bad(_ reason: String) -> CheckpointError { .numpy(path: path, reason: "mask '\(task)': \(reason)") }
        if let t = v.tensor, let archive {
            let stored = try archive.materialize(t, tensor: task)
            switch stored.dtype {
            case .u8, .i8: return stored.data
            case .bool: return stored.data.withUnsafeBytes { pack($0) }
            default: throw bad("is a \(stored.dtype.rawValue) tensor; expected uint8 (np.packbits) or bool")
            }
        }
        let (descr, count, data) = try arrayContents(v, path: path, what: "mask '\(task)'")
        guard case .bytes(let raw) = data else { throw bad("the array data is not bytes") }
        guard raw.count == count else { throw bad("the array holds \(raw.count) bytes for \(count) elements") }
        switch descr {
        case "u1", "|u1", "i1", "|i1": return raw
        case "b1", "|b1", "?": return raw.withUnsafeBytes { pack($0) }
        default: throw bad("has dtype '\(descr)'; expected uint8 (np.packbits) or bool")
        }
    }
}
