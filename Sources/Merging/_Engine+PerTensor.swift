import Dispatch
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
    /// (memory: T × one tensor, one tensor for a ``SummedTaskVectorTensorMerge``, which gets only
    /// their sum; tensors whose τ are all zero are never gathered and merge to
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

    /// Whether one more gathered tensor of `bytes` (its τ_t) may wait for a worker or for the
    /// writer beside `count` others holding `held` bytes: always up to threads + 1 of them, and up
    /// to 4 per thread + 2 while they hold at most 1 GiB.
    static func admits(_ bytes: Int, count: Int, held: Int, threads: Int = Parallel.threadCount) -> Bool {
        let threads = max(1, threads)
        if count < threads + 1 { return true }
        return count < 4 * threads + 2 && held + bytes <= 1 << 30
    }

    /// Whether some θ_t differs from θ0 in chunk `c`: the tasks checked on all cores for a large
    /// chunk (a frozen tower is read whole from every task, on the stream thread alone otherwise).
    static func anyDiffers(_ c: _Chunk, taskCount T: Int) -> Bool {
        guard c.count >= 1 << 18, T > 1 else { return (0..<T).contains { _Lane.differ(c.tasks[$0], c.base, count: c.count) } }
        let found = Locked(false)
        DispatchQueue.concurrentPerform(iterations: T) { t in
            if found.withLock({ $0 }) { return }
            if _Lane.differ(c.tasks[t], c.base, count: c.count) { found.withLock { $0 = true } }
        }
        return found.withLock { $0 }
    }

    /// One gathered tensor on its way to the output: its index, θ0, every τ_t (nil: all zero), and
    /// once merged, τ_MTL and ‖Σ_t τ_t‖₁.
    private final class _Pending: @unchecked Sendable {
        let key: Int
        var base: [Float]
        var taus: [Float]?
        var merged: [Float]?
        var summedNorm = 0.0
        /// Whether any τ_t was non-zero, so that τ_MTL was computed (else it is zero).
        var gathered = false
        var error: Error?
        /// `base` is filled chunk by chunk (the chunks cover the tensor).
        init(key: Int, count: Int) {
            self.key = key
            base = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        }
    }

    /// Gathers tensors one by one from the stream and merges each on a worker as soon as it is
    /// gathered (one core each, OpenBLAS single-threaded: LAPACK's eigensolvers are mostly serial,
    /// and an OpenBLAS thread spinning beside one wastes the other core; results do not depend on
    /// the thread count), while the stream thread writes the merged tensors in flattening order.
    /// Tensors are written in order, so one slow merge at the head holds back those finished
    /// behind it: more tensors may be between gathering and writing (``admits(_:count:held:threads:)``),
    /// so the workers are not left idle behind it (2 cores, ViT-B/32: Iso-C 1.2× faster, TSV-M 1.1×).
    private func gatherAndMerge(_ method: any TaskVectorTensorMerge, seed: UInt64, to output: URL, taskVectorOnly: Bool,
                                tensors: [TensorInfo]?, scale: @escaping (String) -> (Float, Float?)) throws -> PerTensorStats {
        let T = self.T
        // A merge that reads only Σ_t τ_t gets that sum, gathered in place of the T task vectors.
        let summing = method as? any SummedTaskVectorTensorMerge
        let rows = summing == nil ? T : 1
        var file = try _Output(url: output, inputs: inputs, tensors: tensors, allowInPlace: false)
        var stats = PerTensorStats()
        var current: _Pending?
        var queue: [_Pending] = []
        let lock = NSLock()
        var inFlight = 0, held = 0
        func bytes(_ key: Int) -> Int { rows * inputs.tensors[key].count * MemoryLayout<Float>.size }
        let finished = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        BLASThreads.beginSingleThreaded()
        defer { BLASThreads.endSingleThreaded() }
        // Tens of MB per tensor and task: reuse freed pages instead of faulting in fresh ones.
        _Allocator.keepLargeAllocations()
        func done(_ p: _Pending) -> Bool { lock.lock(); defer { lock.unlock() }; return p.merged != nil || p.error != nil }
        // Writes the merged tensors at the head of the queue; with `all`, waits for every one.
        func drain(all: Bool) throws {
            while let p = queue.first {
                if !done(p) {
                    guard all else { return }
                    finished.wait()
                    continue
                }
                queue.removeFirst()
                defer { inFlight -= 1; held -= bytes(p.key) }
                if let error = p.error { throw error }
                try write(p)
            }
        }
        func write(_ p: _Pending) throws {
            let info = inputs.tensors[p.key]
            let n = info.count
            stats.normSummed += p.summedNorm
            let (lambda, outer) = scale(info.name)
            var norm = 0.0
            var nonZero = 0
            guard p.gathered else {
                // τ = 0 throughout (the frozen text tower): every x is this one, and ‖0‖₁ adds nothing.
                // Written over θ0 in place (θ0 + 0 still turns a −0 into +0).
                var x = Float(0) * lambda
                if let outer { x *= outer }
                if x != 0 { nonZero += n }
                var values = p.base
                p.base = []
                values.withUnsafeMutableBufferPointer { v in
                    if taskVectorOnly { v.update(repeating: x) } else { for j in 0..<n { v[j] += x } }
                }
                stats.nonZero += nonZero
                try values.withUnsafeBufferPointer { v in try file.finishTensor(tensors?[p.key] ?? info, key: p.key, values: v) }
                return
            }
            var values = p.merged ?? []
            p.merged = nil
            p.base.withUnsafeBufferPointer { base in
                values.withUnsafeMutableBufferPointer { v in
                    norm = _Lane.l1(UnsafeBufferPointer(v))
                    for j in 0..<n {
                        var x = v[j] * lambda
                        if let outer { x *= outer }
                        if x != 0 { nonZero += 1 }
                        v[j] = taskVectorOnly ? x : base[j] + x
                    }
                }
            }
            stats.normMerged += norm
            stats.nonZero += nonZero
            try values.withUnsafeBufferPointer { v in try file.finishTensor(tensors?[p.key] ?? info, key: p.key, values: v) }
        }
        func submit(_ p: _Pending) {
            DispatchQueue.global().async(group: group) {
                let info = self.inputs.tensors[p.key]
                var merged: [Float]?
                var failure: Error?
                var summed = 0.0
                if let taus = p.taus {
                    let n = info.count, tensorSeed = _Engine.tensorSeed(seed, name: info.name)
                    if summing != nil {
                        summed = taus.withUnsafeBufferPointer { _Lane.l1($0) }
                    } else {
                        // Σ_t τ_t in the same order per entry (t ascending), task by task so it vectorizes.
                        var sums = Array(taus[0..<n])
                        sums.withUnsafeMutableBufferPointer { s in
                            taus.withUnsafeBufferPointer { all in
                                for t in 1..<max(1, T) { let row = all.baseAddress! + t * n; for j in 0..<n { s[j] += row[j] } }
                            }
                            summed = _Lane.l1(UnsafeBufferPointer(s))
                        }
                    }
                    do {
                        if let summing {
                            merged = try summing.merge(summed: taus, taskCount: T, name: info.name, shape: info.shape, seed: tensorSeed)
                        } else {
                            merged = try taus.withUnsafeBufferPointer { all in
                                try method.merge(all, taskCount: T, name: info.name, shape: info.shape, seed: tensorSeed)
                            }
                        }
                        precondition(merged?.count == info.count, "a per-tensor merge returned \(merged?.count ?? 0) values for \(info.count)")
                    } catch {
                        failure = error
                    }
                }
                lock.lock()
                p.taus = nil
                p.summedNorm = summed
                p.merged = merged
                p.error = failure
                lock.unlock()
                finished.signal()
            }
        }
        // A slot for tensor `key`: waits for (and writes) the oldest ones when all are taken.
        func begin(_ key: Int) throws -> _Pending {
            while !Self.admits(bytes(key), count: inFlight, held: held) {
                finished.wait()
                try drain(all: false)
            }
            inFlight += 1
            held += bytes(key)
            return _Pending(key: key, count: inputs.tensors[key].count)
        }
        do {
            defer { group.wait() }
            try stream.sweep("writing \(output.lastPathComponent)") { c in
                let n = c.info.count
                if current?.key != c.key { current = try begin(c.key) }
                guard let p = current else { return }
                p.base.withUnsafeMutableBufferPointer { b in (b.baseAddress! + c.start).update(from: c.base, count: c.count) }
                if p.taus == nil {
                    if !Self.anyDiffers(c, taskCount: T) { return }
                    // Filled chunk by chunk below; the chunks before this one held τ = 0.
                    p.taus = [Float](unsafeUninitializedCapacity: rows * n) { buffer, count in
                        for t in 0..<rows { (buffer.baseAddress! + t * n).initialize(repeating: 0, count: c.start) }
                        count = rows * n
                    }
                }
                p.taus!.withUnsafeMutableBufferPointer { taus in
                    if summing != nil {
                        // sum(tvs): 0 + τ_0 + τ_1 + … (the 0 turns a −0 into +0, as Python's sum does).
                        // In tiles that stay in L1 while every task is added.
                        let dst = taus.baseAddress! + c.start
                        for tile in stride(from: 0, to: c.count, by: 4096) {
                            let end = min(tile + 4096, c.count)
                            let f = c.tasks[0]
                            for j in tile..<end { dst[j] = 0 + (f[j] - c.base[j]) }
                            for t in 1..<T {
                                let f = c.tasks[t]
                                for j in tile..<end { dst[j] += f[j] - c.base[j] }
                            }
                        }
                        return
                    }
                    for t in 0..<T {
                        let f = c.tasks[t], dst = taus.baseAddress! + t * n + c.start
                        for j in 0..<c.count { dst[j] = f[j] - c.base[j] }
                    }
                }
            } endOfTensor: { ki in
                // A tensor without values (no chunk) still has its place in the output.
                let p = try current ?? begin(ki)
                current = nil
                queue.append(p)
                p.gathered = p.taus != nil
                if p.taus == nil {
                    // τ = 0 merges to 0 (every per-tensor method gives it): nothing to compute; `write`
                    // writes θ0 + 0 over θ0.
                    p.merged = []
                } else {
                    submit(p)
                }
                try drain(all: false)
            }
            try drain(all: true)
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
