import Foundation
import Checkpoints
import Tensors

/// The passes of a streaming merge, sharing one ``_Stream`` and the global quantities found so far.
final class _Engine {
    let inputs: MergeInputs
    let stream: _Stream
    let T: Int
    /// Per-task trim thresholds (0 = keep all), readable from kernels.
    let kthPointer: UnsafeMutablePointer<Float>
    var kth: [Float] {
        get { (0..<T).map { kthPointer[$0] } }
        set { for t in 0..<T { kthPointer[t] = t < newValue.count ? newValue[t] : 0 } }
    }
    var majority: Float = 0
    private let workers = Parallel.threadCount

    init(inputs: MergeInputs, progress: MergeProgress?) {
        self.inputs = inputs
        T = inputs.taskCount
        stream = _Stream(inputs: inputs, progress: progress)
        kthPointer = .allocate(capacity: max(1, inputs.taskCount))
        kthPointer.initialize(repeating: 0, count: max(1, inputs.taskCount))
    }

    deinit { kthPointer.deallocate() }

    /// Exact per-task top-k thresholds over the flattened model (`topk_values_mask`): the
    /// (d − int(d·k/100))-th smallest |τ_t|, by a high-16-bit then a low-16-bit histogram pass.
    /// The first pass also sums ‖Σ_t τ_t‖₁ when asked. Returns kept counts (|τ_t| ≥ threshold).
    func selectThresholds(percent k: Double, normSummed wantNorm: Bool) throws -> (kth: [Float], kept: [Int], normSummed: Double?) {
        let d = inputs.parameterCount
        let rank = MagnitudeSelection.kthRank(count: d, percent: k)
        if rank == 0 {
            let norm = wantNorm ? try summedNorm() : nil
            return ([Float](repeating: 0, count: T), [Int](repeating: d, count: T), norm)
        }
        let T = self.T
        let bins = 1 << 16
        let hist = UnsafeMutablePointer<Int>.allocate(capacity: workers * T * bins)
        defer { hist.deallocate() }
        hist.initialize(repeating: 0, count: workers * T * bins)
        var normParts = [Double](repeating: 0, count: workers)
        try stream.sweep("pass 1/2 of the top-\(k)% threshold") { c in
            let parts = _Stream.parts(count: c.count)
            normParts.withUnsafeMutableBufferPointer { np in
                _Stream.run(parts) { p, r in
                    let b0 = c.base
                    for t in 0..<T {
                        let h = hist + (p * T + t) * bins
                        let pt = c.tasks[t]
                        for i in r { h[Int(((pt[i] - b0[i]).bitPattern & 0x7FFF_FFFF) >> 16)] += 1 }
                    }
                    if wantNorm { np[p] += _Engine.summedAbs(c, r, T) }
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
        try stream.sweep("pass 2/2 of the top-\(k)% threshold") { c in
            _Stream.run(_Stream.parts(count: c.count)) { p, r in
                let b0 = c.base
                for t in 0..<T {
                    let h = hist + (p * T + t) * bins
                    let pt = c.tasks[t]
                    let bucket = buckets[t]
                    for i in r {
                        let bits = (pt[i] - b0[i]).bitPattern & 0x7FFF_FFFF
                        if bits >> 16 == bucket { h[Int(bits & 0xFFFF)] += 1 }
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

    /// Σ over `r` of |Σ_t τ_t| (sum over t in `Float`, in task order).
    @inline(__always)
    static func summedAbs(_ c: _Chunk, _ r: Range<Int>, _ T: Int) -> Double {
        var total = 0.0
        var acc: Float = 0
        var n = 0
        for i in r {
            let b = c.base[i]
            var s: Float = 0
            for t in 0..<T { s += c.tasks[t][i] - b }
            acc += abs(s)
            n += 1
            if n == 256 { total += Double(acc); acc = 0; n = 0 }
        }
        return total + Double(acc)
    }

    /// ‖Σ_t τ_t‖₁ alone (one pass).
    func summedNorm() throws -> Double {
        var parts = [Double](repeating: 0, count: workers)
        let T = self.T
        try stream.sweep("‖Σ τ‖₁") { c in
            parts.withUnsafeMutableBufferPointer { np in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in np[p] += _Engine.summedAbs(c, r, T) }
            }
        }
        return parts.reduce(0, +)
    }

    /// TIES's global majority sign: sign(Σ over parameters of sign(Σ_t trimmed τ_t)), counted in Int64.
    func majoritySign() throws -> Float {
        var counts = [Int64](repeating: 0, count: workers)
        let T = self.T
        let kth = UnsafePointer(kthPointer)
        try stream.sweep("TIES sign election") { c in
            counts.withUnsafeMutableBufferPointer { cp in
                _Stream.run(_Stream.parts(count: c.count)) { p, r in
                    var n: Int64 = 0
                    for i in r { n += Int64(TIESMerge.signOfTrimmedSum(at: i, base: c.base[i], tasks: c.tasks, taskCount: T, kth: kth)) }
                    cp[p] += n
                }
            }
        }
        let total = counts.reduce(0, +)
        return total > 0 ? 1 : (total < 0 ? -1 : 0)
    }

    /// ‖τ_MTL‖₁ (and ‖Σ τ_t‖₁ when `summed`) in one pass.
    func norms(kernel: _MTLKernel, summed: Bool) throws -> (merged: Double, summed: Double) {
        var merged = [Double](repeating: 0, count: workers)
        var sums = [Double](repeating: 0, count: workers)
        let T = self.T
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: stream.chunkSize)
        defer { buffer.deallocate() }
        try stream.sweep("‖τ_MTL‖₁ for LiNeS α") { c in
            merged.withUnsafeMutableBufferPointer { mp in
                sums.withUnsafeMutableBufferPointer { sp in
                    _Stream.run(_Stream.parts(count: c.count)) { p, r in
                        _ = kernel.compute(c, r, into: buffer)
                        var total = 0.0
                        var acc: Float = 0
                        var n = 0
                        for i in r {
                            acc += abs(buffer[i])
                            n += 1
                            if n == 256 { total += Double(acc); acc = 0; n = 0 }
                        }
                        mp[p] += total + Double(acc)
                        if summed { sp[p] += _Engine.summedAbs(c, r, T) }
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
    func write(kernel: _MTLKernel, to output: URL, taskVectorOnly: Bool,
               scale: (String) -> (Float, Float?)) throws -> (nonZero: Int, kept: Int) {
        var writer = try makeTensorWriter(url: output, tensors: inputs.tensors)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largestTensor))
        defer { out.deallocate() }
        var nonZero = [Int](repeating: 0, count: workers)
        var kept = [Int](repeating: 0, count: workers)
        do {
            try stream.sweep("writing \(output.lastPathComponent)") { c in
                let (lam, outer) = scale(c.info.name)
                let dst = out + c.start
                nonZero.withUnsafeMutableBufferPointer { nz in
                    kept.withUnsafeMutableBufferPointer { kp in
                        _Stream.run(_Stream.parts(count: c.count)) { p, r in
                            let s = kernel.compute(c, r, into: dst)
                            nz[p] += s.nonZero
                            kp[p] += s.kept
                            _Engine.finish(dst, base: c.base, r, lam, outer, taskVectorOnly)
                        }
                    }
                }
            } endOfTensor: { ki in
                let info = self.inputs.tensors[ki]
                try writer.write(info.name, floats: UnsafeBufferPointer(start: out, count: info.count))
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        return (nonZero.reduce(0, +), kept.reduce(0, +))
    }

    /// dst[i] = (θ0[i] +) outer·(λ·dst[i]).
    @inline(__always)
    static func finish(_ dst: UnsafeMutablePointer<Float>, base: UnsafePointer<Float>, _ r: Range<Int>,
                       _ lam: Float, _ outer: Float?, _ taskVectorOnly: Bool) {
        if let outer {
            if taskVectorOnly { for i in r { dst[i] = outer * (lam * dst[i]) } }
            else { for i in r { dst[i] = base[i] + outer * (lam * dst[i]) } }
        } else {
            if taskVectorOnly { for i in r { dst[i] = lam * dst[i] } }
            else { for i in r { dst[i] = base[i] + lam * dst[i] } }
        }
    }

    /// mag-masking: one model per task, θ0 + λ·(m_t ⊙ Σ τ), m_t = 1[|τ_t| ≥ kth_t], into folder `output`.
    func writeMagMasking(options: MergeOptions, to output: URL, report: MergeReport) throws -> MergeReport {
        var report = report
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largestTensor))
        defer { out.deallocate() }
        let T = self.T
        let lam = Float(options.coefficient)
        var nonZero = 0
        for task in 0..<T {
            let url = output.appendingPathComponent("\(inputs.taskNames[task]).safetensors")
            var writer = try makeTensorWriter(url: url, tensors: inputs.tensors)
            let threshold = kthPointer[task]
            var nz = [Int](repeating: 0, count: workers)
            do {
                try stream.sweep("writing \(url.lastPathComponent)") { c in
                    let dst = out + c.start
                    nz.withUnsafeMutableBufferPointer { nzp in
                        _Stream.run(_Stream.parts(count: c.count)) { p, r in
                            var n = 0
                            for i in r {
                                let b = c.base[i]
                                var v: Float = 0
                                for t in 0..<T { v += c.tasks[t][i] - b }
                                if !(abs(c.tasks[task][i] - b) >= threshold) { v = 0 }
                                if v != 0 { n += 1 }
                                dst[i] = v
                            }
                            nzp[p] += n
                            _Engine.finish(dst, base: c.base, r, lam, nil, options.taskVectorOnly)
                        }
                    }
                } endOfTensor: { ki in
                    let info = self.inputs.tensors[ki]
                    try writer.write(info.name, floats: UnsafeBufferPointer(start: out, count: info.count))
                }
                try writer.finish()
            } catch {
                writer.abandon()
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
    func tallMasks(kernel: _MTLKernel, lambdas: [Float]) throws -> TallMasks {
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
                for i in r {
                    let b = c.base[i]
                    let multi = b + kernel.baseValue(c, i)
                    let g = c.global + i
                    let bit = UInt8(0x80) >> UInt8(g & 7)
                    for t in 0..<T {
                        let f = c.tasks[t][i]
                        if abs(b - f) > abs(multi - f) * lam[t] { bits[t * stride + (g >> 3)] |= bit }
                    }
                }
            }
        }
        let packed = (0..<T).map { [UInt8](UnsafeBufferPointer(start: bits + $0 * stride, count: stride)) }
        return TallMasks(tasks: inputs.taskNames, packed: packed)
    }
}
