import Foundation
import Checkpoints
import Tensors

/// A TIES aggregation as a type, so that the fused pass is compiled once per aggregation.
protocol _AggregationKind { static var aggregation: TIESAggregation { get } }
enum _MeanAggregation: _AggregationKind { static var aggregation: TIESAggregation { .mean } }
enum _SumAggregation: _AggregationKind { static var aggregation: TIESAggregation { .sum } }
enum _MaxAggregation: _AggregationKind { static var aggregation: TIESAggregation { .max } }

/// The outcome of ``_Engine/fusedTIES(percent:aggregation:)``.
enum _FusedTIESOutcome {
    /// Not attempted (k = 100, more than 64 tasks, or 2³¹ parameters or more).
    case notApplicable
    /// The sampled windows missed a k-th value: the exact histogram selection must run.
    case windowMissed
    /// The k-th values are exact, but a side record overflowed: the sign election must run.
    case thresholds(kth: [Float], kept: [Int], normSummed: Double)
    /// Done: the exact k-th values, the majority sign and the norms; the write pass remains.
    case merged(Merged)

    struct Merged {
        let kth: [Float]
        let kept: [Int]
        let majority: Float
        let normSummed: Double
        let normMerged: Double
    }
}

extension _Engine {
    /// The global quantities of TIES (k-th values, majority sign, ‖τ_TIES‖₁) in one full pass
    /// plus a 1/64 sample, instead of a window pass and a sign-election pass.
    ///
    /// The sample brackets each task's k-th value with a window (as the sampled selection does).
    /// The full pass then counts and collects the magnitudes inside the windows, and at the same
    /// time merges every parameter whose |τ_t| are all outside their windows, where the trim is
    /// already certain (above: kept, below: dropped): elected sum, sign count, disjoint value and
    /// its L1 norm (under each possible majority sign where the elected sum is 0), exactly as the
    /// separate passes would. The few parameters with a value inside a narrower window (or a NaN
    /// sum) are recorded with their τ_t and merged once the exact k-th values are selected. When
    /// a k-th value falls outside its narrower window, or the records overflow, the thresholds
    /// are still exact and only the sign-election pass runs again.
    /// Every value is computed by the same `Float` operations as ``TIESMerge``; only the L1 norm
    /// ‖τ_TIES‖₁ (hence LiNeS α, in its last bits) is summed in another order. On AVX-512 CPUs
    /// the pass runs in C (`CMergeKernels`), 16 parameters at a time, with the same operations.
    func fusedTIES(percent k: Double, aggregation agg: TIESAggregation) throws -> _FusedTIESOutcome {
        let d = inputs.parameterCount
        let rank = MagnitudeSelection.kthRank(count: d, percent: k)
        guard rank > 0, _Engine.sampledSelection, d < Int(Int32.max), T <= 64 else { return .notApplicable }
        guard let windows = try sampleWindows(percent: k, rank: rank) else { return .windowMissed }
        _Stream.mark("windows")
        let T = self.T
        let workers = Parallel.threadCount
        let wantMax = agg == .max
        // Parameters with a value in some window: about T × the window share, split over workers.
        let uncertain = min(d, Int(3 * Double(T) * windows.expectedFraction * Double(d)) + (1 << 16))
        let records = (0..<workers).compactMap { _ in _TIESRecords(taskCount: T, uncertain: uncertain) }
        guard records.count == workers else { return .notApplicable }
        switch agg {
        case .mean: try fusedSweep(_MeanAggregation.self, k: k, windows: windows, records: records)
        case .sum: try fusedSweep(_SumAggregation.self, k: k, windows: windows, records: records)
        case .max: try fusedSweep(_MaxAggregation.self, k: k, windows: windows, records: records)
        }
        _Stream.mark("fused pass")
        guard let found = windows.select(rank: rank, parameters: d) else { return .windowMissed }
        _Stream.mark("selection")
        let normSummed = records.reduce(0) { $0 + $1.normSummed }
        if records.contains(where: { $0.overflow }) || !windows.holdsInNarrowWindows(found.kth) {
            return .thresholds(kth: found.kth, kept: found.kept, normSummed: normSummed)
        }
        let thresholds = _Thresholds(found.kth)
        // The uncertain parameters, now that the k-th values are exact (each worker's records on
        // its own core).
        let kthValues = UnsafePointer(thresholds.pointer)
        _Stream.run((0..<workers).map { $0..<($0 + 1) }) { p, _ in
            let rec = records[p]
            var tally = _TIESTally()
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * T) { scratch in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: T) { ptrs in
                    let s = scratch.baseAddress!
                    for t in 0..<T { ptrs[t] = UnsafePointer(s + 8 * t) }
                    var g = 0, at = 0
                    while g < rec.count {
                        let n = min(8, rec.count - g)
                        scratch.update(repeating: 0)
                        for k in 0..<n {
                            var m = UInt64(rec.words[at]) | UInt64(rec.words[at + 1]) << 32
                            at += 2
                            while m != 0 {
                                let t = m.trailingZeroBitCount
                                m &= m - 1
                                s[8 * t + k] = Float(bitPattern: rec.words[at])
                                at += 1
                            }
                        }
                        let live = _I8(0, 1, 2, 3, 4, 5, 6, 7) .< _I8(repeating: Int32(n))
                        // τ_t − 0 is τ_t exactly (−0 and NaN included).
                        tally.add(_TIESLanes(_F8(repeating: 0), UnsafePointer(ptrs.baseAddress!), 0, T, kth: kthValues, wantMax: wantMax),
                                  agg, where: live)
                        g += n
                    }
                }
            }
            tally.flush(into: rec)
        }
        let total = records.reduce(Int64(0)) { $0 + $1.signCount }
        let majority: Float = total > 0 ? 1 : (total < 0 ? -1 : 0)
        let m = majority > 0 ? 0 : (majority < 0 ? 1 : 2)
        let normMerged = records.reduce(0) { $0 + $1.normDecided + $1.normUndecided[m] }
        if _Stream.timing {
            let u = records.reduce(0) { $0 + $1.count }
            FileHandle.standardError.write("[LINES_MERGE_TIMING] fused TIES: \(u) parameters merged after the selection\n".data(using: .utf8)!)
        }
        return .merged(.init(kth: found.kth, kept: found.kept, majority: majority,
                             normSummed: normSummed, normMerged: normMerged))
    }

    /// The full pass of ``fusedTIES(percent:aggregation:)``, compiled once per aggregation.
    private func fusedSweep<A: _AggregationKind>(_: A.Type, k: Double, windows: _KthWindows, records: [_TIESRecords]) throws {
        let T = self.T
        let agg = A.aggregation
        let wantMax = agg == .max
        // Magnitude bits are below 2³¹, so signed 32-bit compares order them (one instruction
        // each, where unsigned ones take two); bounds are clamped to 2³¹ − 1.
        let bound = { (p: UnsafeMutablePointer<UInt32>) in (0..<T).map { Int32(clamping: min(p[$0], 0x7FFF_FFFF)) } }
        let lower = bound(windows.lower), upper = bound(windows.upper)
        let sureLower = bound(windows.sureLower), sureUpper = bound(windows.sureUpper)
        let zero = _I8(repeating: 0)
        try lower.withUnsafeBufferPointer { lower in
        try upper.withUnsafeBufferPointer { upper in
        try sureLower.withUnsafeBufferPointer { sureLower in
        try sureUpper.withUnsafeBufferPointer { sureUpper in
        try stream.sweep("TIES (top-\(k)% threshold, sign election, merge)") { c in
            _Stream.run(_Stream.parts(count: c.count)) { p, r in
                let rec = records[p]
                if self.kernels != .portable {
                    self.fusedPartC(c, r, worker: p, aggregation: agg, windows: windows, bounds: (lower, upper, sureLower, sureUpper), records: rec)
                    self.stream.release(c, r)
                    return
                }
                var full = false
                var tally = _TIESTally(), summed = _NormAccumulator()
                withUnsafeTemporaryAllocation(of: _I8.self, capacity: 2 * T) { scratch in
                    let bel = UnsafeMutableBufferPointer(rebasing: scratch[0..<T])
                    let notTrimmed = UnsafeMutableBufferPointer(rebasing: scratch[T..<(2 * T)])
                    bel.initialize(repeating: _I8(repeating: 0))
                    c.groups(r, taskCount: T) { base, tasks, j, i, live in
                        let b = _Lane.load(base, j)
                        let liveBits = unsafeBitCast(live, to: _I8.self)
                        var sum = _F8(repeating: 0)
                        var lanes = _TIESLanes()
                        var unsure = zero
                        // Tasks with a value inside their window, collected after the loop (a call
                        // inside it would force every vector register out to memory).
                        var insideTasks: UInt64 = 0
                        for t in 0..<T {
                            let x = _Lane.load(tasks[t], j) - b
                            sum += x
                            let bits = unsafeBitCast(_Lane.magnitudeBits(x), to: _I8.self)
                            // The k-th value windows: count below, collect inside.
                            let below = unsafeBitCast(bits .< _I8(repeating: lower[t]), to: _I8.self)
                            bel[t] &-= below & liveBits
                            let inside = ~below & unsafeBitCast(bits .<= _I8(repeating: upper[t]), to: _I8.self) & liveBits
                            if _Lane.any(inside) { insideTasks |= 1 &<< UInt64(t & 63) }
                            // The trim where certain; the rest is merged after the selection.
                            let above = bits .> _I8(repeating: sureUpper[t])
                            notTrimmed[t] = unsafeBitCast(bits .>= _I8(repeating: sureLower[t]), to: _I8.self)
                            unsure |= notTrimmed[t] & ~unsafeBitCast(above, to: _I8.self)
                            lanes.add(x, kept: above, wantMax: wantMax)
                        }
                        while insideTasks != 0 {
                            let t = insideTasks.trailingZeroBitCount
                            insideTasks &= insideTasks - 1
                            let bits = unsafeBitCast(_Lane.magnitudeBits(_Lane.load(tasks[t], j) - b), to: _I8.self)
                            let inside = unsafeBitCast(bits .>= _I8(repeating: lower[t]), to: _I8.self)
                                & unsafeBitCast(bits .<= _I8(repeating: upper[t]), to: _I8.self) & liveBits
                            windows.collect(worker: p, task: t, bits: unsafeBitCast(bits, to: _U8.self), inside: unsafeBitCast(inside, to: _U8.self))
                        }
                        summed.add(sum)
                        // A NaN τ_t makes the sum NaN (as does ∞ − ∞, merely merged later too).
                        unsure |= unsafeBitCast(sum .!= sum, to: _I8.self)
                        unsure &= liveBits
                        if _Lane.any(unsure) {
                            for lane in 0..<8 where unsure[lane] != 0 {
                                var mask: UInt64 = 0
                                for t in 0..<T where notTrimmed[t][lane] != 0 { mask |= 1 << UInt64(t) }
                                if !rec.append(mask: mask, lane: j + lane, base: base, tasks: tasks) { full = true; break }
                            }
                        }
                        tally.add(lanes, agg, where: unsafeBitCast(~unsure & liveBits, to: _M8.self))
                        return sum
                    }
                    windows.addBelow(worker: p, bel)
                }
                self.stream.release(c, r)
                if full { rec.overflow = true }
                tally.flush(into: rec)
                rec.normSummed += summed.total
            }
        }
        }
        }
        }
        }
    }
}
