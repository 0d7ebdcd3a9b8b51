import Foundation

/// Per-worker side records and sums of the fused TIES pass, the records in lazily touched
/// huge-page memory.
final class _TIESRecords {
    /// Uncertain parameters (some |τ_t| inside its narrow k-th-value window, or a NaN sum), as
    /// 32-bit words: a 64-bit mask of the tasks whose |τ_t| is not certainly trimmed (low word
    /// first), then those τ_t in task order; the other τ_t count as 0 (trimmed) in the fix-up.
    let words: UnsafeMutablePointer<UInt32>
    let capacity: Int
    var count = 0
    var used = 0
    var overflow = false
    /// Elected sums > 0 minus elected sums < 0.
    var signCount: Int64 = 0
    /// ‖τ_TIES‖₁ over decided parameters, and over undecided ones (elected sum 0 or NaN) under
    /// majority +1, −1, 0.
    var normDecided = 0.0
    var normUndecided = [0.0, 0.0, 0.0]
    var normSummed = 0.0
    private let memory: _HugeAllocation

    /// Room for `uncertain` records of every task.
    init?(taskCount: Int, uncertain: Int) {
        capacity = uncertain * (2 + taskCount)
        guard let m = _HugeAllocation(bytes: 4 * capacity) else { return nil }
        memory = m
        words = m.raw.bindMemory(to: UInt32.self, capacity: capacity)
    }

    /// Appends the record of lane `lane`: τ_t = θ_t − θ0 for the tasks of `mask`; `false` when
    /// full.
    @inline(__always)
    func append(mask: UInt64, lane: Int, base: UnsafePointer<Float>, tasks: UnsafePointer<UnsafePointer<Float>>) -> Bool {
        let n = mask.nonzeroBitCount
        guard used + 2 + n <= capacity else { return false }
        let r = words + used
        r[0] = UInt32(truncatingIfNeeded: mask)
        r[1] = UInt32(truncatingIfNeeded: mask >> 32)
        var m = mask, k = 2
        while m != 0 {
            let t = m.trailingZeroBitCount
            m &= m - 1
            r[k] = (tasks[t][lane] - base[lane]).bitPattern
            k += 1
        }
        used += 2 + n
        count += 1
        return true
    }
}

/// Sign counts and ‖τ_TIES‖₁ of merged lanes: decided lanes (elected sum > 0 or < 0) count
/// towards the majority sign and add their value's magnitude; undecided ones (sum 0 or NaN) add
/// the magnitude of each possible value (majority +1, −1, 0), the right one chosen at the end.
struct _TIESTally {
    var pos = _I8(repeating: 0), neg = _I8(repeating: 0)
    var decided = _NormAccumulator()
    var undecided = (_NormAccumulator(), _NormAccumulator(), _NormAccumulator())

    /// Adds the lanes of `m`.
    @inline(__always)
    mutating func add(_ lanes: _TIESLanes, _ agg: TIESAggregation, where m: _M8) {
        let up = (lanes.s .> 0) .& m, down = (lanes.s .< 0) .& m
        pos &+= _Lane.ones(up)
        neg &+= _Lane.ones(down)
        let cand = lanes.candidates(agg)
        let isDecided = up .| down
        decided.add(_Lane.kept(_Lane.select(down, cand.minus, cand.plus), where: isDecided))
        let open = .!isDecided .& m
        if _Lane.any(open) {
            undecided.0.add(_Lane.kept(cand.plus, where: open))
            undecided.1.add(_Lane.kept(cand.minus, where: open))
            undecided.2.add(_Lane.kept(cand.zero, where: open))
        }
    }

    /// Adds the totals to `rec`.
    func flush(into rec: _TIESRecords) {
        rec.signCount += Int64(_Lane.sum(pos) - _Lane.sum(neg))
        rec.normDecided += decided.total
        rec.normUndecided[0] += undecided.0.total
        rec.normUndecided[1] += undecided.1.total
        rec.normUndecided[2] += undecided.2.total
    }
}
