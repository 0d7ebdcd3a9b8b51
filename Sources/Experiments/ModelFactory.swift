import CLIP
import Checkpoints
import Foundation
import Merging
import Tensors

/// Builds the image encoders a run evaluates, in memory: θ0 + s(key) · τ, optionally with a
/// TALL/magnitude mask over the flattened (sorted-key) vector, with the reference's float32
/// operation order (`s · τ`, then `θ0 +`).
final class ModelFactory: @unchecked Sendable {
    let theta0: any CheckpointReader
    let activation: Activation
    /// Keys of the image tower, in θ0's order.
    let towerKeys: [String]
    private var base: [String: Tensor] = [:]

    init(theta0: any CheckpointReader, activation: Activation) throws {
        self.theta0 = theta0
        self.activation = activation
        let layout = try VisionTransformerLayout(reader: theta0, activation: activation)
        towerKeys = theta0.tensors.map(\.name).filter { $0.hasPrefix(layout.prefix) }
    }

    /// θ0's encoder.
    func zeroshot() throws -> VisionTransformer {
        try VisionTransformer(reader: theta0, activation: activation)
    }

    /// The encoder of a checkpoint file.
    func encoder(at url: URL) throws -> VisionTransformer {
        try VisionTransformer(checkpoint: url, activation: activation)
    }

    /// θ0 + s(key)·τ[key] (keys outside the image tower are not needed and not built).
    /// - Parameters:
    ///   - tau: τ (unscaled) with θ0's keys.
    ///   - mask: packed mask bits over the flattened vector and each key's offset in it; where a
    ///     bit is off, τ counts as 0.
    func combined(tau: any CheckpointReader, scale: (String) -> Float,
                  mask: (bits: [UInt8], offsets: [String: Int])? = nil) throws -> VisionTransformer {
        var tensors: [(name: String, tensor: Tensor)] = []
        tensors.reserveCapacity(towerKeys.count)
        for key in towerKeys {
            let b = try baseTensor(key)
            var t = try tau.readFloat(key)
            guard t.count == b.count else {
                throw CheckpointError.tensorInvalidInfo(path: tau.url.path, tensor: key, expectedBytes: 4 * b.count, foundBytes: 4 * t.count)
            }
            let s = scale(key)
            let offset = mask?.offsets[key]
            t.scalars.withUnsafeMutableBufferPointer { tp in
                b.scalars.withUnsafeBufferPointer { bp in
                    guard let tb = tp.baseAddress, let bb = bp.baseAddress else { return }
                    let out = SendablePointer(tb), base = SendablePointer(UnsafeMutablePointer(mutating: bb))
                    Parallel.forRanges(count: tp.count) { r in
                        if let mask, let offset {
                            mask.bits.withUnsafeBufferPointer { mp in
                                for i in r {
                                    let g = offset + i
                                    let on = (mp[g >> 3] >> (7 - UInt8(g & 7))) & 1 == 1
                                    out.pointer[i] = base.pointer[i] + (on ? s * out.pointer[i] : 0)
                                }
                            }
                        } else {
                            for i in r { out.pointer[i] = base.pointer[i] + s * out.pointer[i] }
                        }
                    }
                }
            }
            t.shape = b.shape
            tensors.append((key, t))
            tau.evict(key)
        }
        let memory = MemoryCheckpoint(url: theta0.url, tensors: tensors)
        return try VisionTransformer(reader: memory, activation: activation)
    }

    private func baseTensor(_ key: String) throws -> Tensor {
        if let t = base[key] { return t }
        let t = try theta0.readFloat(key)
        base[key] = t
        return t
    }
}

/// A value computed on first use.
final class Lazy<T>: @unchecked Sendable {
    private var value: T?
    private let make: () throws -> T
    init(_ make: @escaping () throws -> T) { self.make = make }
    var isComputed: Bool { value != nil }
    func get() throws -> T {
        if let value { return value }
        let v = try make()
        value = v
        return v
    }
}
