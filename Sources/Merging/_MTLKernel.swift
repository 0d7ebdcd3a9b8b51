/// Computes τ_MTL for a range of a chunk: the base (Σ τ_t or TIES), then an optional consensus mask.
struct _MTLKernel {
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

    var base: Base
    var consensus: Consensus
    var taskCount: Int
    var kth: UnsafePointer<Float>
    var majority: Float

    /// The base value (Σ τ_t or TIES) at chunk index `i`.
    @inline(__always)
    func baseValue(_ c: _Chunk, _ i: Int) -> Float {
        let b = c.base[i]
        switch base {
        case .sum:
            var v: Float = 0
            for t in 0..<taskCount { v += c.tasks[t][i] - b }
            return v
        case .ties(let agg):
            return TIESMerge.value(at: i, base: b, tasks: c.tasks, taskCount: taskCount, kth: kth, aggregation: agg, majority: majority)
        }
    }

    /// Writes τ_MTL for `r` into `out[r]`; returns (non-zero values, parameters the consensus mask keeps).
    func compute(_ c: _Chunk, _ r: Range<Int>, into out: UnsafeMutablePointer<Float>) -> (nonZero: Int, kept: Int) {
        var nz = 0
        var kept = 0
        let T = taskCount
        for i in r {
            var v = baseValue(c, i)
            switch consensus {
            case .none:
                break
            case let .tall(lambdas, threshold):
                let b = c.base[i]
                let multi = b + v
                var n = 0
                for t in 0..<T {
                    let f = c.tasks[t][i]
                    if abs(b - f) > abs(multi - f) * lambdas[t] { n += 1 }
                }
                if n >= threshold { kept += 1 } else { v = 0 }
            case let .masks(bits, stride, threshold):
                let g = c.global + i
                let byte = g >> 3
                let shift = UInt8(7 - (g & 7))
                var n = 0
                for t in 0..<T { n += Int((bits[t * stride + byte] >> shift) & 1) }
                if n >= threshold { kept += 1 } else { v = 0 }
            }
            if v != 0 { nz += 1 }
            out[i] = v
        }
        return (nz, kept)
    }
}
