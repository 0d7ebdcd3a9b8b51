import Foundation
import CMergeKernels

extension _Engine {
    /// One part of the fused pass on the AVX-512 or AVX2 kernel (``kernels``; see `CMergeKernels.h`).
    func fusedPartC(_ c: _Chunk, _ r: Range<Int>, worker p: Int, aggregation: TIESAggregation,
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
        if kernels == .avx512 { lines_fused_ties_avx512(&part) } else { lines_fused_ties_avx2(&part) }
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

