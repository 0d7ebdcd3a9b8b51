import Foundation
import Checkpoints
import Tensors
import CMergeKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Anonymous memory for large working buffers, in transparent huge pages where the kernel
/// allows them: first touch then costs one fault per 2 MB instead of one per 4 KB (which, on a
/// virtual machine, costs more than the merge arithmetic). Pages never touched cost nothing.
final class _HugeAllocation {
    let raw: UnsafeMutableRawPointer
    private let bytes: Int

    init?(bytes wanted: Int) {
        bytes = max(1 << 21, (wanted + (1 << 21) - 1) & ~((1 << 21) - 1))
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else { return nil }
        #if os(Linux)
        _ = madvise(p, bytes, MADV_HUGEPAGE)
        #endif
        raw = p
    }

    deinit { munmap(raw, bytes) }
}

/// Per-worker side records and sums of the fused TIES pass, the records in lazily touched
/// huge-page memory.
final class _TIESRecords {
    let T: Int
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
        T = taskCount
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
        kth = found.kth
        // The uncertain parameters, now that the k-th values are exact (each worker's records on
        // its own core).
        let kthValues = UnsafePointer(kthPointer)
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
                if self.useAVX512 {
                    self.fusedPartAVX512(c, r, worker: p, aggregation: agg, windows: windows, bounds: (lower, upper, sureLower, sureUpper), records: rec)
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

    /// One part of the fused pass on the AVX-512 kernel (see `CMergeKernels.h`).
    private func fusedPartAVX512(_ c: _Chunk, _ r: Range<Int>, worker p: Int, aggregation: TIESAggregation,
                                 windows: _KthWindows,
                                 bounds: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>),
                                 records rec: _TIESRecords) {
        let T = self.T
        // Outputs: 5 norms; record count, words used, sign count; overflow, full.
        let norms = UnsafeMutablePointer<lines_norm8>.allocate(capacity: 5)
        let counts64 = UnsafeMutablePointer<Int64>.allocate(capacity: 3)
        let flags = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        let tasks = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: max(T, 1))
        defer { norms.deallocate(); counts64.deallocate(); flags.deallocate(); tasks.deallocate() }
        norms.initialize(repeating: lines_norm8(), count: 5)
        counts64[0] = Int64(rec.count); counts64[1] = Int64(rec.used); counts64[2] = 0
        flags[0] = 0; flags[1] = 0
        for t in 0..<T { tasks[t] = c.tasks[t] + r.lowerBound }
        let candidateCounts = UnsafeMutableRawPointer(windows.counts + p * T).assumingMemoryBound(to: Int64.self)
        let below = UnsafeMutableRawPointer(windows.below + p * T).assumingMemoryBound(to: Int64.self)
        var part = lines_fused_ties_part(
            base: c.base + r.lowerBound, tasks: UnsafePointer(tasks), T: Int32(T), count: Int64(r.count),
            aggregation: aggregation == .sum ? 0 : (aggregation == .mean ? 1 : 2),
            lower: bounds.0.baseAddress, upper: bounds.1.baseAddress,
            sureLower: bounds.2.baseAddress, sureUpper: bounds.3.baseAddress,
            candidates: UnsafeRawPointer(windows.buffers + p * T).assumingMemoryBound(to: UnsafeMutablePointer<UInt32>?.self), candidateCounts: candidateCounts,
            candidateCapacity: Int64(windows.capacity), candidateOverflow: flags, below: below,
            records: rec.words, recordCount: counts64, recordWords: counts64 + 1, recordCapacity: Int64(rec.capacity),
            full: flags + 1, signCount: counts64 + 2,
            decided: norms, undecidedPlus: norms + 1, undecidedMinus: norms + 2, undecidedZero: norms + 3, summed: norms + 4)
        lines_fused_ties_avx512(&part)
        if flags[0] != 0 { windows.overflow[p] = true }
        rec.count = Int(counts64[0])
        rec.used = Int(counts64[1])
        if flags[1] != 0 { rec.overflow = true }
        rec.signCount += counts64[2]
        rec.normDecided += norms[0].total
        rec.normUndecided[0] += norms[1].total
        rec.normUndecided[1] += norms[2].total
        rec.normUndecided[2] += norms[3].total
        rec.normSummed += norms[4].total
    }
}

extension lines_norm8 {
    /// As ``_NormAccumulator/total``: the flushed sum plus the lanes, summed in order.
    var total: Double {
        var s = 0.0
        withUnsafeBytes(of: lanes) { raw in for v in raw.bindMemory(to: Float.self) { s += Double(v) } }
        return flushed + s
    }
}

extension _Engine {
    /// Whether the AVX-512 kernels run (x86-64 CPUs with AVX-512; `LINES_NO_AVX512=1` turns them off).
    static let avx512 = lines_merge_kernels_available() != 0
}

extension _Engine {
    /// TIES's global quantities, found and set on the engine (``kth``, ``majority``).
    struct TIESGlobals {
        var kth: [Float]
        var kept: [Int]
        var majority: Float
        /// ‖Σ_t τ_t‖₁ when asked for.
        var normSummed: Double?
        /// ‖τ_TIES‖₁ (aggregation as given, no consensus) when asked for.
        var normMerged: Double?
        /// Whether the fused pass found them all.
        var fused: Bool
    }

    /// The exact k-th values, the majority sign and the norms TIES needs: by the fused pass when
    /// `fused` (falling back pass by pass, see ``fusedTIES(percent:aggregation:)``), else by the
    /// sampled selection and a sign-election pass.
    func tiesGlobals(percent k: Double, aggregation: TIESAggregation, fused: Bool,
                     normSummed wantSummed: Bool, normMerged wantMerged: Bool) throws -> TIESGlobals {
        var thresholds: (kth: [Float], kept: [Int], normSummed: Double?)?
        if fused {
            switch try fusedTIES(percent: k, aggregation: aggregation) {
            case .notApplicable:
                break
            case .windowMissed:
                let rank = MagnitudeSelection.kthRank(count: inputs.parameterCount, percent: k)
                thresholds = try selectThresholdsByHistograms(percent: k, rank: rank, normSummed: wantSummed)
            case let .thresholds(kth, kept, norm):
                thresholds = (kth, kept, norm)
            case let .merged(m):
                kth = m.kth
                majority = m.majority
                return TIESGlobals(kth: m.kth, kept: m.kept, majority: m.majority, normSummed: wantSummed ? m.normSummed : nil,
                                   normMerged: wantMerged ? m.normMerged : nil, fused: true)
            }
        }
        let sel = try thresholds ?? selectThresholds(percent: k, normSummed: wantSummed)
        kth = sel.kth
        let election = try majoritySign(mergedNorm: wantMerged ? aggregation : nil)
        majority = election.sign
        return TIESGlobals(kth: sel.kth, kept: sel.kept, majority: election.sign, normSummed: wantSummed ? sel.normSummed : nil,
                           normMerged: election.normMerged, fused: false)
    }
}
