import CMergeKernels

/// Computes τ_MTL for a range of a chunk: the base (Σ τ_t or TIES), then an optional consensus mask.
///
/// Works on 8 parameters at a time (see ``_Lane``): tasks in the inner loop, per-parameter state
/// in vector registers, the same `Float` arithmetic per lane as the one-parameter definitions.
struct _MultiTaskKernel {
    enum Base {
        case sum
        case ties(TIESAggregation)
    }

    enum Consensus {
        case none
        /// TALL masks built on the fly: m_t = |θ0 − θ_t| > λ_t·|(θ0 + τ_MTL) − θ_t|.
        case tall(lambdas: UnsafePointer<Float>, threshold: Int)
        /// Precomputed packed masks, `stride` bytes per task.
        case masks(bits: UnsafePointer<UInt8>, stride: Int, threshold: Int)
    }

    /// The output transform fused into the final pass: (θ0 +) outer·(λ·τ_MTL).
    struct Finish {
        var lambda: Float
        var outer: Float?
        var taskVectorOnly: Bool

        /// Same operations, in the same order, as the scalar `θ0 + outer * (λ * v)`.
        @inline(__always)
        func apply(_ v: _F8, base b: _F8) -> _F8 {
            var s = _F8(repeating: lambda) * v
            if let outer { s = _F8(repeating: outer) * s }
            return taskVectorOnly ? s : b + s
        }
    }

    var base: Base
    var consensus: Consensus
    var taskCount: Int
    /// The per-task trim thresholds (kept alive by the kernel).
    let thresholds: _Thresholds
    var kth: UnsafePointer<Float> { UnsafePointer(thresholds.pointer) }
    var majority: Float
    /// The kernel set for plain TIES (the C kernels only where the CPU has them).
    var kernels = MergeKernels.portable

    init(base: Base, consensus: Consensus, taskCount: Int, kth: _Thresholds, majority: Float) {
        self.base = base
        self.consensus = consensus
        self.taskCount = taskCount
        self.thresholds = kth
        self.majority = majority
    }

    /// The base value (Σ τ_t or TIES) at lanes `j..<j+8`.
    @inline(__always)
    func baseValue(_ b: _F8, _ tasks: UnsafePointer<UnsafePointer<Float>>, _ j: Int) -> _F8 {
        switch base {
        case .sum:
            return _Lane.taskSum(b, tasks, j, taskCount)
        case .ties(let agg):
            let lanes = _TIESLanes(b, tasks, j, taskCount, kth: kth, wantMax: agg == .max)
            return lanes.value(agg, elected: lanes.elected(majority: majority))
        }
    }

    /// Calls `body` with a base-value function specialised for `base` (so each loop is compiled
    /// for one aggregation, with no per-group switch on it).
    @inline(__always)
    func withBase<R>(_ body: ((_F8, UnsafePointer<UnsafePointer<Float>>, Int) -> _F8) -> R) -> R {
        let T = taskCount, kth = kth, majority = majority
        switch base {
        case .sum:
            return body { b, tasks, j in _Lane.taskSum(b, tasks, j, T) }
        case .ties(.sum):
            return body { b, tasks, j in
                let l = _TIESLanes(b, tasks, j, T, kth: kth, wantMax: false)
                return l.value(.sum, elected: l.elected(majority: majority))
            }
        case .ties(.mean):
            return body { b, tasks, j in
                let l = _TIESLanes(b, tasks, j, T, kth: kth, wantMax: false)
                return l.value(.mean, elected: l.elected(majority: majority))
            }
        case .ties(.max):
            return body { b, tasks, j in
                let l = _TIESLanes(b, tasks, j, T, kth: kth, wantMax: true)
                return l.value(.max, elected: l.elected(majority: majority))
            }
        }
    }

    /// Applies the consensus mask to the base value `v` at lanes `j..<j+8` (chunk indices
    /// `i..<i+8` of chunk `c`): τ_MTL, and the lanes the mask keeps (all without consensus).
    @inline(__always)
    func masked(_ v: _F8, _ c: _Chunk, _ b: _F8, _ tasks: UnsafePointer<UnsafePointer<Float>>, _ j: Int, _ i: Int,
                _ live: _M8) -> (v: _F8, keep: _M8) {
        let T = taskCount
        switch consensus {
        case .none:
            return (v, _M8(repeating: true))
        case let .tall(lambdas, threshold):
            let multi = b + v
            var n = _I8(repeating: 0)
            for t in 0..<T {
                let f = _Lane.load(tasks[t], j)
                n &+= _Lane.ones(_Lane.magnitude(b - f) .> _Lane.magnitude(multi - f) * _F8(repeating: lambdas[t]))
            }
            let keep = n .>= _I8(repeating: Int32(clamping: threshold))
            return (_Lane.kept(v, where: keep), keep)
        case let .masks(bits, stride, threshold):
            // Packed bits of arbitrary alignment: gather lane by lane (live lanes only, the
            // padded ones would read past the mask).
            var n = _I8(repeating: 0)
            for k in 0..<8 where live[k] {
                let g = c.global + i + k
                let byte = g >> 3
                let shift = UInt8(7 - (g & 7))
                var m: Int32 = 0
                for t in 0..<T { m += Int32((bits[t * stride + byte] >> shift) & 1) }
                n[k] = m
            }
            let keep = n .>= _I8(repeating: Int32(clamping: threshold))
            return (_Lane.kept(v, where: keep), keep)
        }
    }

    /// Writes τ_MTL for `r` into `out[r]`, transformed by `finish` when given; returns (non-zero
    /// values of τ_MTL, parameters the consensus mask keeps).
    func compute(_ c: _Chunk, _ r: Range<Int>, into out: UnsafeMutablePointer<Float>,
                 finish: Finish? = nil) -> (nonZero: Int, kept: Int) {
        if kernels != .portable, case .ties(let agg) = base, case .none = consensus, let finish {
            return (computeTIESC(c, r, into: out, aggregation: agg, finish: finish), r.count)
        }
        return withBase { baseValue in
            var nz = _I8(repeating: 0)
            var kept = _I8(repeating: 0)
            c.groups(r, taskCount: taskCount, out: out) { base, tasks, j, i, live in
                let b = _Lane.load(base, j)
                let (v, keep) = masked(baseValue(b, tasks, j), c, b, tasks, j, i, live)
                nz &+= _Lane.ones((v .!= _F8(repeating: 0)) .& live)
                kept &+= _Lane.ones(keep .& live)
                return finish?.apply(v, base: b) ?? v
            }
            return (_Lane.sum(nz), _Lane.sum(kept))
        }
    }

    /// ‖τ_MTL‖₁ over `r`, and ‖Σ_t τ_t‖₁ when `summed` (free when the base is Σ τ_t).
    func norms(_ c: _Chunk, _ r: Range<Int>, summed: Bool) -> (merged: Double, summed: Double) {
        let T = taskCount
        let sumIsBase: Bool
        if case .sum = base { sumIsBase = true } else { sumIsBase = false }
        return withBase { baseValue in
            var merged = _NormAccumulator()
            var sums = _NormAccumulator()
            c.groups(r, taskCount: T) { base, tasks, j, i, live in
                let b = _Lane.load(base, j)
                let unmasked = baseValue(b, tasks, j)
                let v = masked(unmasked, c, b, tasks, j, i, live).v
                merged.add(v)
                if summed { sums.add(sumIsBase ? unmasked : _Lane.taskSum(b, tasks, j, T)) }
                return v
            }
            return (merged.total, sums.total)
        }
    }

    /// ``compute(_:_:into:finish:)`` for plain TIES on the AVX-512 or AVX2 kernel (see
    /// `CMergeKernels.h`): the same operations, 16 or 8 parameters at a time; returns the
    /// non-zero count.
    private func computeTIESC(_ c: _Chunk, _ r: Range<Int>, into out: UnsafeMutablePointer<Float>,
                                   aggregation: TIESAggregation, finish: Finish) -> Int {
        let T = taskCount
        return withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: max(T, 1)) { tasks in
            for t in 0..<T { tasks[t] = c.tasks[t] + r.lowerBound }
            var part = lines_ties_write_part(
                base: c.base + r.lowerBound, tasks: UnsafePointer(tasks.baseAddress!), T: Int32(T), count: Int64(r.count),
                aggregation: aggregation == .sum ? 0 : (aggregation == .mean ? 1 : 2), kth: kth, majority: majority,
                lambda: finish.lambda, hasOuter: finish.outer == nil ? 0 : 1, outer: finish.outer ?? 1,
                taskVectorOnly: finish.taskVectorOnly ? 1 : 0, out: out + r.lowerBound)
            return Int(kernels == .avx512 ? lines_ties_write_avx512(&part) : lines_ties_write_avx2(&part))
        }
    }
}
