import Foundation

/// Per-task windows of magnitudes `[lower, upper]` (bit patterns) that hold each task's k-th
/// smallest |τ_t|, found from a sample, and the full pass's bookkeeping: how many |τ_t| fall
/// below each window, and the ones inside it (per worker), among which the exact k-th value is
/// then selected.
///
/// A value whose bits are above `upper` is certainly kept by the trim (|τ| ≥ k-th value), one
/// below `lower` certainly dropped, once the k-th value is known to lie in the window.
final class _KthWindows {
    let T: Int
    let workers: Int
    /// Candidates each worker can hold per task before the selection gives up.
    let capacity: Int
    /// The share of all values expected inside a narrow window (for sizing other buffers).
    let expectedFraction: Double
    let lower: UnsafeMutablePointer<UInt32>
    let upper: UnsafeMutablePointer<UInt32>
    /// A narrower window inside `[lower, upper]`, as likely as not to hold the k-th value: the
    /// fused TIES pass treats values outside it as certainly kept or dropped, and checks
    /// afterwards (``holdsInNarrowWindows(_:)``) that the k-th values fell inside.
    let sureLower: UnsafeMutablePointer<UInt32>
    let sureUpper: UnsafeMutablePointer<UInt32>
    let buffers: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>>
    private let memory: [_HugeAllocation]
    /// Per worker and task (`p·T + t`): candidates held, magnitudes below the window.
    let counts: UnsafeMutablePointer<Int>
    let below: UnsafeMutablePointer<Int>
    let overflow: UnsafeMutablePointer<Bool>

    init(lower lo: [UInt32], upper up: [UInt32], sureLower sl: [UInt32], sureUpper su: [UInt32],
         workers: Int, capacity: Int, expectedFraction: Double) {
        T = lo.count
        self.workers = workers
        self.capacity = capacity
        self.expectedFraction = expectedFraction
        lower = .allocate(capacity: max(1, T))
        upper = .allocate(capacity: max(1, T))
        sureLower = .allocate(capacity: max(1, T))
        sureUpper = .allocate(capacity: max(1, T))
        for t in 0..<T { lower[t] = lo[t]; upper[t] = up[t]; sureLower[t] = sl[t]; sureUpper[t] = su[t] }
        let slots = workers * T
        buffers = .allocate(capacity: max(1, slots))
        // One huge-page allocation per worker for its tasks' buffers (touched only as filled),
        // or the heap where that fails.
        let perWorker = T * ((capacity * 4 + 63) & ~63)
        memory = (0..<workers).compactMap { _ in _HugeAllocation(bytes: perWorker) }
        for i in 0..<slots {
            if memory.count == workers {
                buffers[i] = (memory[i / max(T, 1)].raw + (i % max(T, 1)) * ((capacity * 4 + 63) & ~63)).bindMemory(to: UInt32.self, capacity: capacity)
            } else {
                buffers[i] = .allocate(capacity: capacity)
            }
        }
        counts = .allocate(capacity: max(1, slots))
        below = .allocate(capacity: max(1, slots))
        counts.initialize(repeating: 0, count: max(1, slots))
        below.initialize(repeating: 0, count: max(1, slots))
        overflow = .allocate(capacity: workers)
        overflow.initialize(repeating: false, count: workers)
    }

    deinit {
        if memory.count != workers { for i in 0..<(workers * T) { buffers[i].deallocate() } }
        buffers.deallocate(); counts.deallocate(); below.deallocate(); overflow.deallocate()
        lower.deallocate(); upper.deallocate(); sureLower.deallocate(); sureUpper.deallocate()
    }

    /// Whether every task's k-th value lies in its narrow window.
    func holdsInNarrowWindows(_ kth: [Float]) -> Bool {
        (0..<T).allSatisfy { t in kth[t].bitPattern >= sureLower[t] && kth[t].bitPattern <= sureUpper[t] }
    }

    /// Counts the live lanes of task `t` below its window into `bel`, collects those inside it
    /// (worker `p`'s buffers), and returns the mask of lanes inside.
    @inline(__always)
    func scan(worker p: Int, task t: Int, bits: _U8, live: _M8, below bel: inout _I8) -> _M8 {
        let lo = _U8(repeating: lower[t])
        bel &+= _Lane.ones((bits .< lo) .& live)
        let inside = (bits .>= lo) .& (bits .<= _U8(repeating: upper[t])) .& live
        if _Lane.any(inside) { collect(worker: p, task: t, bits: bits, inside: unsafeBitCast(inside, to: _U8.self)) }
        return inside
    }

    /// Collects the lanes of `bits` flagged in `inside` (all ones) for task `t`, worker `p`.
    @inline(__always)
    func collect(worker p: Int, task t: Int, bits: _U8, inside: _U8) {
        let slot = p * T + t
        let buf = buffers[slot]
        var n = counts[slot]
        for lane in 0..<8 where inside[lane] != 0 {
            if n < capacity { buf[n] = bits[lane]; n += 1 } else { overflow[p] = true }
        }
        counts[slot] = n
    }

    /// Adds worker `p`'s per-task below-window counts.
    func addBelow(worker p: Int, _ bel: UnsafeMutableBufferPointer<_I8>) {
        for t in 0..<T { below[p * T + t] += _Lane.sum(bel[t]) }
    }

    /// The exact k-th values (and kept counts, d − #(|τ| < value)) from the collected windows;
    /// `nil` when some task's k-th value fell outside its window or a buffer overflowed.
    func select(rank: Int, parameters d: Int) -> (kth: [Float], kept: [Int])? {
        if _Stream.timing {
            let total = (0..<(workers * T)).reduce(0) { $0 + counts[$1] }
            FileHandle.standardError.write("[LINES_MERGE_TIMING] k-th value windows: \(total) candidates (capacity \(capacity) per worker and task)\((0..<workers).contains { overflow[$0] } ? ", overflowed" : "")\n".data(using: .utf8)!)
        }
        if (0..<workers).contains(where: { overflow[$0] }) { return nil }
        var found = [(value: UInt32, smaller: Int)?](repeating: nil, count: T)
        let workers = self.workers, T = self.T
        found.withUnsafeMutableBufferPointer { fp in
            _Stream.run((0..<T).map { $0..<($0 + 1) }) { t, _ in
                let slots = (0..<workers).map { $0 * T + t }
                let parts = slots.map { UnsafeBufferPointer(start: UnsafePointer(self.buffers[$0]), count: self.counts[$0]) }
                let nBelow = slots.reduce(0) { $0 + self.below[$1] }
                let need = rank - nBelow
                guard need >= 1, need <= parts.reduce(0, { $0 + $1.count }) else { return }
                let r = _Engine.kthSmallestBits(parts, rank: need)
                fp[t] = (r.value, nBelow + r.smaller)
            }
        }
        var kth: [Float] = []
        var kept: [Int] = []
        for t in 0..<T {
            guard let f = found[t] else { return nil }
            kth.append(Float(bitPattern: f.value))
            kept.append(d - f.smaller)
        }
        return (kth, kept)
    }
}
