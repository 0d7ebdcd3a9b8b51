import Foundation
import Checkpoints
import Tensors

/// The passes of a streaming merge, sharing one ``_Stream`` and the global quantities found so far.
final class _Engine {
    let inputs: MergeInputs
    let stream: _Stream
    let T: Int
    /// The kernel set of the TIES passes (``MergeKernels/selected``, unless a test picks another).
    var kernels = MergeKernels.selected
    private let workers = Parallel.threadCount

    init(inputs: MergeInputs, progress: MergeProgress?) {
        self.inputs = inputs
        T = inputs.taskCount
        stream = _Stream(inputs: inputs, progress: progress)
    }

    /// Exact per-task top-k thresholds over the flattened model (`topk_values_mask`): the
    /// (d − int(d·k/100))-th smallest |τ_t|, by a high-16-bit then a low-16-bit histogram pass.
    /// The first pass also sums ‖Σ_t τ_t‖₁ when asked. Returns kept counts (|τ_t| ≥ threshold).
    ///
    /// Normally this takes one cheap sampling pass and one full pass instead: the sample brackets
    /// each task's k-th value with a window of magnitudes wide enough to hold it with
    /// overwhelming probability; the full pass counts the values below the window and collects
    /// those inside it, and the exact k-th value is selected among those. Whenever the window
    /// misses (or overflows its buffers), the exact two-histogram passes run as before, so the
    /// result never depends on the sample.
    func selectThresholds(percent k: Double, normSummed wantNorm: Bool) throws -> (kth: [Float], kept: [Int], normSummed: Double?) {
        let d = inputs.parameterCount
        let rank = MagnitudeSelection.kthRank(count: d, percent: k)
        if rank == 0 {
            let norm = wantNorm ? try summedNorm() : nil
            return ([Float](repeating: 0, count: T), [Int](repeating: d, count: T), norm)
        }
        if _Engine.sampledSelection, let found = try selectThresholdsBySample(percent: k, rank: rank, normSummed: wantNorm) {
            return found
        }
        return try selectThresholdsByHistograms(percent: k, rank: rank, normSummed: wantNorm)
    }

    /// `LINES_MERGE_EXACT_HISTOGRAMS=1` forces the two-histogram selection (for testing).
    static let sampledSelection = ProcessInfo.processInfo.environment["LINES_MERGE_EXACT_HISTOGRAMS"] == nil

    /// The `rank`-th smallest (1-based) of `a` and how many values of `a` are smaller, by a
    /// high-16-bit then a low-16-bit histogram (as ``MagnitudeSelection``); `rank` must be in
    /// 1...a.count.
    static func kthSmallestBits(_ a: UnsafeBufferPointer<UInt32>, rank: Int) -> (value: UInt32, smaller: Int) {
        kthSmallestBits([a], rank: rank)
    }

    /// The `ranks[i]`-th smallest values of `a` (each rank in 1...a.count), from one high-16-bit
    /// histogram and one low-16-bit pass for all ranks.
    static func kthSmallestBits(_ a: UnsafeBufferPointer<UInt32>, ranks: [Int]) -> [UInt32] {
        let h = UnsafeMutablePointer<Int>.allocate(capacity: 1 << 16)
        defer { h.deallocate() }
        h.initialize(repeating: 0, count: 1 << 16)
        for v in a { h[Int(v &>> 16)] += 1 }
        // Each rank's high bucket and the count below it.
        var buckets: [(bucket: UInt32, below: Int)] = []
        for rank in ranks {
            var cum = 0, b = 0
            while b < (1 << 16) - 1 && cum + h[b] < rank { cum += h[b]; b += 1 }
            buckets.append((UInt32(b), cum))
        }
        let distinct = Array(Set(buckets.map(\.bucket))).sorted()
        let lows = UnsafeMutablePointer<Int>.allocate(capacity: distinct.count << 16)
        defer { lows.deallocate() }
        lows.initialize(repeating: 0, count: distinct.count << 16)
        for v in a {
            let hb = v &>> 16
            if let k = distinct.firstIndex(of: hb) { lows[k << 16 | Int(v & 0xFFFF)] += 1 }
        }
        return zip(ranks, buckets).map { rank, found in
            let low = lows + (distinct.firstIndex(of: found.bucket)! << 16)
            var smaller = found.below
            for l in 0..<(1 << 16) {
                if smaller + low[l] >= rank { return found.bucket << 16 | UInt32(l) }
                smaller += low[l]
            }
            preconditionFailure("rank \(rank) out of 1...\(a.count)")
        }
    }

    /// ``kthSmallestBits(_:rank:)`` over the values of all `parts` together (no copy).
    static func kthSmallestBits(_ parts: [UnsafeBufferPointer<UInt32>], rank: Int) -> (value: UInt32, smaller: Int) {
        let h = UnsafeMutablePointer<Int>.allocate(capacity: 1 << 16)
        defer { h.deallocate() }
        h.initialize(repeating: 0, count: 1 << 16)
        for a in parts { for v in a { h[Int(v &>> 16)] += 1 } }
        var cum = 0, bucket = 0
        for b in 0..<(1 << 16) {
            if cum + h[b] >= rank { bucket = b; break }
            cum += h[b]
        }
        h.update(repeating: 0, count: 1 << 16)
        let hb = UInt32(bucket)
        for a in parts { for v in a where v &>> 16 == hb { h[Int(v & 0xFFFF)] += 1 } }
        var smaller = cum
        for low in 0..<(1 << 16) {
            if smaller + h[low] >= rank { return (hb << 16 | UInt32(low), smaller) }
            smaller += h[low]
        }
        preconditionFailure("rank \(rank) out of 1...\(parts.reduce(0) { $0 + $1.count })")
    }

    /// The sampled selection (see ``selectThresholds(percent:normSummed:)``); `nil` when some
    /// task's k-th value fell outside its window.
    func selectThresholdsBySample(percent k: Double, rank: Int, normSummed wantNorm: Bool) throws -> (kth: [Float], kept: [Int], normSummed: Double?)? {
        guard let windows = try sampleWindows(percent: k, rank: rank) else { return nil }
        let T = self.T
        var normParts = [Double](repeating: 0, count: workers)
        try stream.sweep("top-\(k)% threshold") { c in
            normParts.withUnsafeMutableBufferPointer { np in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    var norm = _NormAccumulator()
                    withUnsafeTemporaryAllocation(of: _I8.self, capacity: T) { bel in
                        bel.initialize(repeating: _I8(repeating: 0))
                        c.groups(r, taskCount: T) { base, tasks, j, _, live in
                            let b = _Lane.load(base, j)
                            var sum = _F8(repeating: 0)
                            for t in 0..<T {
                                let x = _Lane.load(tasks[t], j) - b
                                sum += x
                                _ = windows.scan(worker: p, task: t, bits: _Lane.magnitudeBits(x), live: live, below: &bel[t])
                            }
                            if wantNorm { norm.add(sum) }
                            return sum
                        }
                        windows.addBelow(worker: p, bel)
                    }
                    np[p] += norm.total
                }
            }
        }
        guard let found = windows.select(rank: rank, parameters: inputs.parameterCount) else { return nil }
        return (found.kth, found.kept, wantNorm ? normParts.reduce(0, +) : nil)
    }

    /// The cheap sampling pass of the sampled selection: the first 1/64 of every chunk (rounded
    /// up), so every tensor is represented in proportion to its size, and from it, per task, a
    /// window of magnitudes that holds the k-th value with overwhelming probability.
    func sampleWindows(percent k: Double, rank: Int) throws -> _KthWindows? {
        let d = inputs.parameterCount
        let T = self.T
        // One buffer per task, written in place (as many values for every task).
        let stride = d / 64 + inputs.tensors.count + 8
        let samples = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, T * stride))
        defer { samples.deallocate() }
        var m = 0
        try stream.sweep("sampling for the top-\(k)% threshold") { c in
            let n = (c.count + 63) / 64
            let at = m
            _Stream.run(T > 1 && n >= 4096 ? [0..<(T / 2), (T / 2)..<T] : [0..<T]) { _, tasks in
                for t in tasks {
                    let f = c.tasks[t], dst = samples + t * stride + at
                    var i = 0
                    while i + 8 <= n {
                        _Lane.store(unsafeBitCast(_Lane.magnitudeBits(_Lane.load(f, i) - _Lane.load(c.base, i)), to: _F8.self),
                                    UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self), i)
                        i += 8
                    }
                    while i < n { dst[i] = MagnitudeSelection.magnitudeBits(f[i] - c.base[i]); i += 1 }
                }
            }
            m += n
        }
        guard m > 0 else { return nil }
        // The window: sample ranks rs ± (6σ of a binomial sample quantile + 0.1 % of the sample).
        let p = Double(rank) / Double(d)
        let rs = p * Double(m)
        let delta = 6 * (Double(m) * p * (1 - p)).squareRoot() + 0.001 * Double(m) + 16
        let loRank = Int((rs - delta).rounded(.down)), hiRank = Int((rs + delta).rounded(.up))
        // The narrower window of the fused TIES pass: rs ± (4σ + 16), no allowance for a biased
        // sample; a miss there only costs the separate sign-election pass.
        let innerDelta = 4 * (Double(m) * p * (1 - p)).squareRoot() + 16
        let innerLo = max(loRank, Int((rs - innerDelta).rounded(.down))), innerHi = min(hiRank, Int((rs + innerDelta).rounded(.up)))
        var lower = [UInt32](repeating: 0, count: T), upper = [UInt32](repeating: 0, count: T)
        var sureLower = [UInt32](repeating: 0, count: T), sureUpper = [UInt32](repeating: 0, count: T)
        lower.withUnsafeMutableBufferPointer { lower in
        upper.withUnsafeMutableBufferPointer { upper in
        sureLower.withUnsafeMutableBufferPointer { sureLower in
        sureUpper.withUnsafeMutableBufferPointer { sureUpper in
            _Stream.run((0..<T).map { $0..<($0 + 1) }) { t, _ in
                let a = UnsafeBufferPointer(start: UnsafePointer(samples + t * stride), count: m)
                let ranks = [loRank, hiRank, innerLo, innerHi].map { min(max($0, 1), m) }
                let values = _Engine.kthSmallestBits(a, ranks: ranks)
                let bits = { (i: Int, rank: Int) -> UInt32 in rank < 1 ? 0 : (rank > m ? UInt32.max : values[i]) }
                lower[t] = bits(0, loRank)
                upper[t] = bits(1, hiRank)
                sureLower[t] = bits(2, innerLo)
                sureUpper[t] = bits(3, innerHi)
            }
        }
        }
        }
        }
        // Candidate buffers per worker and task, sized for 8× the expected window.
        let expected = Double(hiRank - max(loRank, 0) + 1) * Double(d) / Double(m)
        let expectedInner = Double(innerHi - max(innerLo, 0) + 1) / Double(m)
        return _KthWindows(lower: lower, upper: upper, sureLower: sureLower, sureUpper: sureUpper, workers: workers,
                           capacity: max(1 << 16, min(d, Int(8 * expected))), expectedFraction: expectedInner)
    }

    /// The exact selection by a high-16-bit then a low-16-bit histogram pass.
    func selectThresholdsByHistograms(percent k: Double, rank: Int, normSummed wantNorm: Bool) throws -> (kth: [Float], kept: [Int], normSummed: Double?) {
        let d = inputs.parameterCount
        let T = self.T
        let bins = 1 << 16
        let hist = UnsafeMutablePointer<Int>.allocate(capacity: workers * T * bins)
        defer { hist.deallocate() }
        hist.initialize(repeating: 0, count: workers * T * bins)
        var normParts = [Double](repeating: 0, count: workers)
        // Pass 1: high 16 bits of |τ_t| into per-worker, per-task histograms (+ ‖Σ_t τ_t‖₁).
        try stream.sweep("pass 1/2 of the top-\(k)% threshold") { c in
            normParts.withUnsafeMutableBufferPointer { np in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    var norm = _NormAccumulator()
                    let h0 = hist + p * T * bins
                    c.groups(r, taskCount: T) { base, tasks, j, _, live in
                        let b = _Lane.load(base, j)
                        var sum = _F8(repeating: 0)
                        for t in 0..<T {
                            let x = _Lane.load(tasks[t], j) - b
                            sum += x
                            let high = _Lane.magnitudeBits(x) &>> 16
                            let h = h0 + t * bins
                            // All 8 lanes, padded ones too: see the correction below.
                            for lane in 0..<8 { h[Int(high[lane])] += 1 }
                        }
                        if wantNorm { norm.add(sum) }
                        return sum
                    }
                    // The padded lanes of a partial last group hold τ = +0, counted in bucket 0.
                    let padded = (8 - r.count % 8) % 8
                    if padded > 0 { for t in 0..<T { h0[t * bins] -= padded } }
                    np[p] += norm.total
                }
            }
        }
        var selections: [MagnitudeSelection] = []
        var buckets = [UInt32](repeating: 0, count: T)
        for t in 0..<T {
            var s = MagnitudeSelection(rank: rank)
            for p in 0..<workers { for b in 0..<bins { s.high[b] += hist[(p * T + t) * bins + b] } }
            _ = s.finishHighPass()
            buckets[t] = s.bucket
            selections.append(s)
        }
        hist.update(repeating: 0, count: workers * T * bins)
        // Pass 2: low 16 bits of the |τ_t| in the chosen bucket; a vector compare skips the
        // (vast majority of) groups with no value in it.
        try stream.sweep("pass 2/2 of the top-\(k)% threshold") { c in
            buckets.withUnsafeBufferPointer { bucket in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    let h0 = hist + p * T * bins
                    c.groups(r, taskCount: T) { base, tasks, j, _, live in
                        let b = _Lane.load(base, j)
                        for t in 0..<T {
                            let bits = _Lane.magnitudeBits(_Lane.load(tasks[t], j) - b)
                            let hit = bits &>> 16 .== _U8(repeating: bucket[t])
                            if _Lane.any(hit) {
                                let h = h0 + t * bins
                                for lane in 0..<8 where hit[lane] && live[lane] { h[Int(bits[lane] & 0xFFFF)] += 1 }
                            }
                        }
                        return b
                    }
                }
            }
        }
        var kth: [Float] = []
        var kept: [Int] = []
        for t in 0..<T {
            var s = selections[t]
            for p in 0..<workers { for b in 0..<bins { s.low[b] += hist[(p * T + t) * bins + b] } }
            let value = s.finishLowPass() ?? 0
            kth.append(value)
            // Kept = d − #(|τ| < value).
            let bits = value.bitPattern
            var below = 0
            for b in 0..<Int(s.bucket) { below += s.high[b] }
            for v in 0..<Int(bits & 0xFFFF) { below += s.low[v] }
            kept.append(d - below)
        }
        return (kth, kept, wantNorm ? normParts.reduce(0, +) : nil)
    }

    /// ‖Σ_t τ_t‖₁ alone (one pass).
    func summedNorm() throws -> Double {
        var parts = [Double](repeating: 0, count: workers)
        let T = self.T
        try stream.sweep("‖Σ τ‖₁") { c in
            parts.withUnsafeMutableBufferPointer { np in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    var norm = _NormAccumulator()
                    c.groups(r, taskCount: T) { base, tasks, j, _, _ in
                        let v = _Lane.taskSum(_Lane.load(base, j), tasks, j, T)
                        norm.add(v)
                        return v
                    }
                    np[p] += norm.total
                }
            }
        }
        return parts.reduce(0, +)
    }

    /// TIES's global majority sign: sign(Σ over parameters of sign(Σ_t trimmed τ_t)), counted in
    /// Int64; with `mergedNorm`, also ‖τ_TIES‖₁ (aggregation `aggregation`, no consensus) in the
    /// same pass.
    ///
    /// The norm needs the majority sign only where the election sum s is 0 (or NaN); there the
    /// value is accumulated under each possible majority (+1, −1, 0; ``_TIESLanes/candidates(_:)``)
    /// and the right one is added
    /// once the count is known, so the separate ‖τ_MTL‖₁ pass is not needed.
    func majoritySign(thresholds: _Thresholds, mergedNorm: TIESAggregation? = nil) throws -> (sign: Float, normMerged: Double?) {
        struct Part { var count: Int64 = 0; var decided = 0.0; var undecided: [Double] = [0, 0, 0] }
        var parts = [Part](repeating: Part(), count: workers)
        let T = self.T
        let kth = UnsafePointer(thresholds.pointer)
        try stream.sweep("TIES sign election") { c in
            parts.withUnsafeMutableBufferPointer { pp in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    var pos = _I8(repeating: 0), neg = _I8(repeating: 0)
                    var decided = _NormAccumulator()
                    var undecided = [_NormAccumulator](repeating: _NormAccumulator(), count: 3)
                    undecided.withUnsafeMutableBufferPointer { und in
                        c.groups(r, taskCount: T) { base, tasks, j, _, live in
                            let lanes = _TIESLanes(_Lane.load(base, j), tasks, j, T, kth: kth, wantMax: mergedNorm == .max)
                            let up = (lanes.s .> 0) .& live, down = (lanes.s .< 0) .& live
                            pos &+= _Lane.ones(up)
                            neg &+= _Lane.ones(down)
                            if let agg = mergedNorm {
                                let isDecided = up .| down
                                let v = lanes.candidates(agg)
                                decided.add(_Lane.kept(_Lane.select(up, v.plus, v.minus), where: isDecided))
                                let open = .!isDecided .& live
                                und[0].add(_Lane.kept(v.plus, where: open))
                                und[1].add(_Lane.kept(v.minus, where: open))
                                und[2].add(_Lane.kept(v.zero, where: open))
                            }
                            return lanes.s
                        }
                    }
                    pp[p].count += Int64(_Lane.sum(pos) - _Lane.sum(neg))
                    pp[p].decided += decided.total
                    for m in 0..<3 { pp[p].undecided[m] += undecided[m].total }
                }
            }
        }
        let total = parts.reduce(0) { $0 + $1.count }
        let sign: Float = total > 0 ? 1 : (total < 0 ? -1 : 0)
        guard mergedNorm != nil else { return (sign, nil) }
        let m = sign > 0 ? 0 : (sign < 0 ? 1 : 2)
        return (sign, parts.reduce(0) { $0 + $1.decided } + parts.reduce(0) { $0 + $1.undecided[m] })
    }

    /// ‖τ_MTL‖₁ (and ‖Σ τ_t‖₁ when `summed`) in one pass.
    func norms(kernel: _MultiTaskKernel, summed: Bool) throws -> (merged: Double, summed: Double) {
        var merged = [Double](repeating: 0, count: workers)
        var sums = [Double](repeating: 0, count: workers)
        try stream.sweep("‖τ_MTL‖₁ for LiNeS α") { c in
            merged.withUnsafeMutableBufferPointer { mp in
                sums.withUnsafeMutableBufferPointer { sp in
                    _Stream.run(_Stream.parts(count: c.count)) { p, r in
                        let n = kernel.norms(c, r, summed: summed)
                        mp[p] += n.merged
                        sp[p] += n.summed
                    }
                }
            }
        }
        return (merged.reduce(0, +), sums.reduce(0, +))
    }

    /// The largest tensor, in values.
    private var largestTensor: Int { inputs.tensors.map(\.count).max() ?? 0 }

    /// Final pass: out = θ0 + scale·τ_MTL per tensor (or scale·τ_MTL alone), written as produced.
    /// `scale(key)` returns (λ of the key, optional outer coefficient applied after it).
    func write(kernel: _MultiTaskKernel, to output: URL, taskVectorOnly: Bool,
               scale: (String) -> (Float, Float?)) throws -> (nonZero: Int, kept: Int) {
        var file = try _Output(url: output, inputs: inputs)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largestTensor))
        defer { out.deallocate() }
        var nonZero = [Int](repeating: 0, count: workers)
        var kept = [Int](repeating: 0, count: workers)
        var errors = [Error?](repeating: nil, count: workers)
        do {
            try stream.sweep("writing \(output.lastPathComponent)") { c in
                let (lam, outer) = scale(c.info.name)
                let dst = out + c.start
                let inPlace = file.inPlaceOffset(c.key) != nil
                nonZero.withUnsafeMutableBufferPointer { nz in
                    kept.withUnsafeMutableBufferPointer { kp in
                        errors.withUnsafeMutableBufferPointer { ep in
                            _Stream.run(_Stream.parts(count: c.count)) { p, r in
                                let s = kernel.compute(c, r, into: dst, finish: .init(lambda: lam, outer: outer, taskVectorOnly: taskVectorOnly))
                                self.stream.release(c, r)
                                nz[p] += s.nonZero
                                kp[p] += s.kept
                                if inPlace, ep[p] == nil {
                                    do {
                                        try file.writePart(UnsafeBufferPointer(start: dst + r.lowerBound, count: r.count),
                                                           key: c.key, at: c.start + r.lowerBound)
                                    } catch { ep[p] = error }
                                }
                            }
                        }
                    }
                }
                if let e = errors.first(where: { $0 != nil }) { throw e! }
            } endOfTensor: { ki in
                try file.finishTensor(self.inputs.tensors[ki], key: ki, values: UnsafeBufferPointer(start: out, count: self.inputs.tensors[ki].count))
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
        return (nonZero.reduce(0, +), kept.reduce(0, +))
    }

    /// One model per task, θ0 + λ·(m_t ⊙ Σ τ), m_t = 1[|τ_t| ≥ kth_t] (mag-masking), into folder `output`.
    func writePerTaskMasked(thresholds: _Thresholds, coefficient: Double, taskVectorOnly: Bool, to output: URL,
                            report: MergeReport) throws -> MergeReport {
        var report = report
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largestTensor))
        defer { out.deallocate() }
        let T = self.T
        let lam = Float(coefficient)
        var nonZero = 0
        for task in 0..<T {
            let url = output.appendingPathComponent("\(inputs.taskNames[task]).safetensors")
            var file = try _Output(url: url, inputs: inputs, allowInPlace: false)
            let threshold = thresholds[task]
            var nz = [Int](repeating: 0, count: workers)
            do {
                try stream.sweep("writing \(url.lastPathComponent)") { c in
                    let dst = out + c.start
                    nz.withUnsafeMutableBufferPointer { nzp in
                        _Stream.run(_Stream.parts(count: c.count)) { p, r in
                            var n = _I8(repeating: 0)
                            let finish = _MultiTaskKernel.Finish(lambda: lam, outer: nil, taskVectorOnly: taskVectorOnly)
                            c.groups(r, taskCount: T, out: dst) { base, tasks, j, _, live in
                                let b = _Lane.load(base, j)
                                let own = _Lane.magnitude(_Lane.load(tasks[task], j) - b) .>= _F8(repeating: threshold)
                                let v = _Lane.kept(_Lane.taskSum(b, tasks, j, T), where: own)
                                n &+= _Lane.ones((v .!= _F8(repeating: 0)) .& live)
                                return finish.apply(v, base: b)
                            }
                            nzp[p] += _Lane.sum(n)
                        }
                    }
                } endOfTensor: { ki in
                    try file.finishTensor(self.inputs.tensors[ki], key: ki, values: UnsafeBufferPointer(start: out, count: self.inputs.tensors[ki].count))
                }
                try file.commit()
            } catch {
                file.abandon()
                throw error
            }
            nonZero += nz.reduce(0, +)
            report.outputs.append(url)
        }
        let d = inputs.parameterCount
        report.nonZeroFraction = d > 0 ? Double(nonZero) / Double(d * T) : 0
        return report
    }

    /// TALL masks for every task in one pass, packed as `np.packbits` over the flattened model.
    func tallMasks(kernel: _MultiTaskKernel, lambdas: [Float]) throws -> TallMasks {
        let T = self.T
        let stride = TallMasks.packedCount(parameters: inputs.parameterCount)
        let bits = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, stride * T))
        defer { bits.deallocate() }
        bits.initialize(repeating: 0, count: max(1, stride * T))
        let lam = UnsafeMutablePointer<Float>.allocate(capacity: max(1, T))
        defer { lam.deallocate() }
        for t in 0..<T { lam[t] = lambdas[t] }
        try stream.sweep("TALL masks") { c in
            _Stream.run(_Stream.parts(count: c.count, global: c.global, alignedTo8: true)) { _, r in
                c.groups(r, taskCount: T) { base, tasks, j, i, live in
                    let b = _Lane.load(base, j)
                    let multi = b + kernel.baseValue(b, tasks, j)
                    for t in 0..<T {
                        let f = _Lane.load(tasks[t], j)
                        let on = (_Lane.magnitude(b - f) .> _Lane.magnitude(multi - f) * _F8(repeating: lam[t])) .& live
                        guard any(on) else { continue }
                        for k in 0..<8 where on[k] {
                            let g = c.global + i + k
                            bits[t * stride + (g >> 3)] |= UInt8(0x80) >> UInt8(g & 7)
                        }
                    }
                    return multi
                }
            }
        }
        let packed = (0..<T).map { [UInt8](UnsafeBufferPointer(start: bits + $0 * stride, count: stride)) }
        return TallMasks(tasks: inputs.taskNames, packed: packed)
    }
}
