import Foundation
import Checkpoints
import Tensors

/// TALL masks, one per task, bit-packed over the flattened model as `np.packbits` packs them.
///
/// Bit `g` of the flattened vector (sorted keys, row-major) is bit `7 − g mod 8` of byte `g / 8`
/// (big-endian bit order: element 0 is the MSB of byte 0). A mask for d parameters has
/// ⌈d/8⌉ bytes; the unpacked tail past d is ignored.
public struct TallMasks: Sendable, Equatable {
    /// Task names, in file order.
    public var tasks: [String]
    /// Packed bits per task, parallel to ``tasks``.
    public var packed: [[UInt8]]

    /// Creates masks from names and packed bits.
    public init(tasks: [String], packed: [[UInt8]]) {
        precondition(tasks.count == packed.count, "TallMasks: one packed array per task")
        self.tasks = tasks
        self.packed = packed
    }

    /// Bytes a mask over `d` parameters needs: ⌈d/8⌉.
    public static func packedCount(parameters d: Int) -> Int { (d + 7) / 8 }

    /// Whether bit `g` of task `t` is set.
    @inline(__always)
    public func isOn(task t: Int, at g: Int) -> Bool {
        (packed[t][g >> 3] >> (7 - UInt8(g & 7))) & 1 == 1
    }

    /// Number of set bits among the first `d` of task `t`.
    public func onCount(task t: Int, parameters d: Int) -> Int {
        var n = 0
        let full = d / 8
        packed[t].withUnsafeBufferPointer { p in
            for i in 0..<min(full, p.count) { n += p[i].nonzeroBitCount }
            if d % 8 != 0, full < p.count {
                let keep = UInt8(truncatingIfNeeded: 0xFF << (8 - d % 8))
                n += (p[full] & keep).nonzeroBitCount
            }
        }
        return n
    }

    /// Returns the masks reordered to `taskNames`, checked against the model size.
    /// - Throws: ``MergeError/maskTasksMismatch(file:expected:found:)`` when the task sets differ,
    ///   ``MergeError/maskSizeMismatch(file:task:expectedBytes:foundBytes:parameters:)`` when a mask
    ///   was built for another model.
    public func aligned(to taskNames: [String], parameters d: Int, file: String) throws -> TallMasks {
        guard Set(tasks) == Set(taskNames), tasks.count == taskNames.count else {
            throw MergeError.maskTasksMismatch(file: file, expected: taskNames, found: tasks)
        }
        let need = TallMasks.packedCount(parameters: d)
        var out: [[UInt8]] = []
        for name in taskNames {
            guard let i = tasks.firstIndex(of: name) else { throw MergeError.maskTasksMismatch(file: file, expected: taskNames, found: tasks) }
            guard packed[i].count == need else {
                throw MergeError.maskSizeMismatch(file: file, task: name, expectedBytes: need, foundBytes: packed[i].count, parameters: d)
            }
            out.append(packed[i])
        }
        return TallMasks(tasks: taskNames, packed: out)
    }

    /// Reads a mask file: `.npy` (the reference's pickled dict, via ``TallMaskFile``) or
    /// `.safetensors` (one tensor per task: U8 packed bits, or BOOL / U8 with one value per parameter
    /// when `parameters` is given and the length equals it).
    /// - Throws: ``MergeError/maskFile(path:reason:)`` or the reader's error.
    public static func read(_ url: URL, parameters: Int? = nil) throws -> TallMasks {
        if url.pathExtension.lowercased() == "npy" {
            let entries = try TallMaskFile.read(url)
            return TallMasks(tasks: entries.map(\.task), packed: entries.map(\.packedBits))
        }
        let reader = try Checkpoint.open(url)
        var tasks: [String] = []
        var packed: [[UInt8]] = []
        for info in reader.tensors.sorted(by: { pythonLess($0.name, $1.name) }) {
            guard info.dtype == .u8 || info.dtype == .bool, info.shape.count <= 1 else {
                throw MergeError.maskFile(path: url.path, reason: "tensor '\(info.name)' is \(info.dtype.rawValue) \(info.shape); a TALL mask must be a 1-D U8 (packed bits) or BOOL tensor")
            }
            let bytes = try reader.read(info.name).data
            if info.dtype == .bool || (parameters.map { $0 == bytes.count && $0 != packedCount(parameters: $0) } ?? false) {
                packed.append(pack(bytes.map { $0 != 0 }))
            } else {
                packed.append(bytes)
            }
            tasks.append(info.name)
        }
        guard !tasks.isEmpty else { throw MergeError.maskFile(path: url.path, reason: "the file holds no masks") }
        return TallMasks(tasks: tasks, packed: packed)
    }

    /// Writes the masks: `.npy` through ``TallMaskFile``, anything else as safetensors with one
    /// U8 packed-bits tensor per task. Atomic: nothing appears on failure.
    public func write(to url: URL) throws {
        if url.pathExtension.lowercased() == "npy" {
            try TallMaskFile.write(Array(zip(tasks, packed)).map { (task: $0.0, packedBits: $0.1) }, to: url)
            return
        }
        let items = zip(tasks, packed).map { ($0.0, StoredTensor(dtype: .u8, shape: [$0.1.count], data: $0.1)) }
        try SafetensorsWriter.save(items, metadata: ["format": "pt", "content": "TALL masks (np.packbits, big-endian bit order, sorted-key flattening)"], to: url)
    }

    /// `np.packbits` of booleans (big-endian bit order, zero-padded tail).
    public static func pack(_ bits: [Bool]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: packedCount(parameters: bits.count))
        for (i, b) in bits.enumerated() where b { out[i >> 3] |= 0x80 >> UInt8(i & 7) }
        return out
    }
}
