import Foundation
import Checkpoints
import Tensors

extension _Engine {
    /// What a per-tensor write found: non-zero outputs, ‖τ_MTL‖₁ (unscaled) and ‖Σ_t τ_t‖₁.
    struct PerTensorStats {
        var nonZero = 0
        var normMerged = 0.0
        var normSummed = 0.0
    }

    /// The seed of tensor `name`'s draws: the run's seed and the name (as the mergekit path), so a
    /// tensor's draws do not depend on the order or thread it is merged on.
    static func tensorSeed(_ seed: UInt64, name: String) -> UInt64 {
        var h = FNV1a()
        h.add("\(seed)")
        h.add(name)
        return h.value
    }

    /// One pass for a method computed tensor by tensor from the whole τ_t
    /// (``TaskVectorTensorMerge``): each tensor's τ_1…τ_T are gathered from the chunks
    /// (memory: T × one tensor; tensors whose τ are all zero are never gathered and merge to
    /// zero, as every such method gives), merged, and written as θ0 + scale·τ_MTL (or the scaled
    /// τ_MTL alone). `scale(key)` returns (λ of the key, optional outer coefficient after it).
    /// - Parameter asF32: write every tensor as F32 (a temporary τ_MTL), not in θ0's dtypes.
    func writePerTensor(_ method: any TaskVectorTensorMerge, seed: UInt64, to output: URL, taskVectorOnly: Bool,
                        asF32: Bool = false, scale: (String) -> (Float, Float?)) throws -> PerTensorStats {
        let tensors = asF32 ? inputs.tensors.map { TensorInfo(name: $0.name, dtype: .f32, shape: $0.shape) } : nil
        return try withoutActuallyEscaping(scale) { scale in
            try gatherAndMerge(method, seed: seed, to: output, taskVectorOnly: taskVectorOnly, tensors: tensors, scale: scale)
        }
    }

    private func gatherAndMerge(_ method: any TaskVectorTensorMerge, seed: UInt64, to output: URL, taskVectorOnly: Bool,
                                tensors: [TensorInfo]?, scale: @escaping (String) -> (Float, Float?)) throws -> PerTensorStats {
        let T = self.T
        var file = try _Output(url: output, inputs: inputs, tensors: tensors, allowInPlace: false)
        let largest = inputs.tensors.map(\.count).max() ?? 0
        let base = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largest))
        defer { base.deallocate() }
        var taus: UnsafeMutablePointer<Float>?
        var tausCapacity = 0
        defer { taus?.deallocate() }
        var gathered = false
        var stats = PerTensorStats()
        do {
            try stream.sweep("writing \(output.lastPathComponent)") { c in
                let n = c.info.count
                (base + c.start).update(from: c.base, count: c.count)
                if !gathered {
                    var zero = true
                    for t in 0..<T where zero {
                        let f = c.tasks[t]
                        for j in 0..<c.count where f[j] != c.base[j] { zero = false; break }
                    }
                    if zero { return }
                    if tausCapacity < T * n {
                        taus?.deallocate()
                        taus = .allocate(capacity: T * n)
                        tausCapacity = T * n
                    }
                    // The chunks before this one held τ = 0.
                    for t in 0..<T { (taus! + t * n).initialize(repeating: 0, count: c.start) }
                    gathered = true
                }
                guard let taus else { return }
                for t in 0..<T {
                    let f = c.tasks[t], dst = taus + t * n + c.start
                    for j in 0..<c.count { dst[j] = f[j] - c.base[j] }
                }
            } endOfTensor: { ki in
                let info = self.inputs.tensors[ki]
                let n = info.count
                var merged: [Float]
                if gathered, let taus {
                    let all = UnsafeBufferPointer(start: UnsafePointer(taus), count: T * n)
                    merged = try method.merge(all, taskCount: T, name: info.name, shape: info.shape,
                                              seed: _Engine.tensorSeed(seed, name: info.name))
                    precondition(merged.count == n, "a per-tensor merge returned \(merged.count) values for \(n)")
                    var summed = 0.0
                    for j in 0..<n {
                        var s: Float = 0
                        for t in 0..<T { s += taus[t * n + j] }
                        summed += Double(abs(s))
                    }
                    stats.normSummed += summed
                } else {
                    merged = [Float](repeating: 0, count: n)
                }
                gathered = false
                let (lambda, outer) = scale(info.name)
                var norm = 0.0
                var nonZero = 0
                merged.withUnsafeMutableBufferPointer { v in
                    for j in 0..<n {
                        norm += Double(abs(v[j]))
                        var x = v[j] * lambda
                        if let outer { x *= outer }
                        if x != 0 { nonZero += 1 }
                        v[j] = taskVectorOnly ? x : base[j] + x
                    }
                }
                stats.normMerged += norm
                stats.nonZero += nonZero
                try merged.withUnsafeBufferPointer { v in try file.finishTensor(tensors?[ki] ?? info, key: ki, values: v) }
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
        return stats
    }
}

extension _Engine {
    /// θ0 + scale·τ (or the scaled τ alone) tensor by tensor, τ read from `tau` (a temporary F32
    /// file of ``writePerTensor(_:seed:to:taskVectorOnly:asF32:scale:)``); one tensor in memory.
    func writeScaled(tau: any CheckpointReader, to output: URL, taskVectorOnly: Bool,
                     scale: (String) -> (Float, Float?)) throws -> Int {
        var file = try _Output(url: output, inputs: inputs, allowInPlace: false)
        var nonZero = 0
        do {
            for (ki, info) in inputs.tensors.enumerated() {
                stream.progress?("writing \(output.lastPathComponent)", ki, inputs.tensors.count)
                var v = try tau.readFloat(info.name).scalars
                let base = taskVectorOnly ? [] : try inputs.pretrained.readFloat(info.name).scalars
                let (lambda, outer) = scale(info.name)
                for j in v.indices {
                    var x = v[j] * lambda
                    if let outer { x *= outer }
                    if x != 0 { nonZero += 1 }
                    v[j] = taskVectorOnly ? x : base[j] + x
                }
                try v.withUnsafeBufferPointer { p in try file.finishTensor(info, key: ki, values: p) }
                inputs.pretrained.evict(info.name)
                tau.evict(info.name)
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
        return nonZero
    }
}
