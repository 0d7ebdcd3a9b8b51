/// mergekit's sparsification of a task vector (`mergekit/sparsify.py`), per tensor.
enum Sparsify {
    /// `τ ⊙ mask · ‖τ‖₁ / ‖τ ⊙ mask‖₁` in place (mergekit's L1 `rescaled_masked_tensor`, eps 1e-7),
    /// or `τ ⊙ mask` when either norm is below eps or `rescale` is off.
    static func applyMask(_ tau: inout [Float], mask: [Bool], rescale: Bool) {
        let n = tau.count
        var before = 0.0, after = 0.0
        tau.withUnsafeMutableBufferPointer { t in
            mask.withUnsafeBufferPointer { m in
                for i in 0..<n {
                    let a = Double(abs(t[i]))
                    before += a
                    if m[i] { after += a } else { t[i] = 0 }
                }
            }
        }
        guard rescale else { return }
        let b = Float(before), a = Float(after)
        guard b >= 1e-7, a >= 1e-7 else { return }
        let scale = b / a
        tau.withUnsafeMutableBufferPointer { t in for i in 0..<n { t[i] *= scale } }
    }

    /// ``applyMask(_:mask:rescale:)`` on a copy.
    static func rescaled(_ tau: [Float], mask: [Bool], rescale: Bool) -> [Float] {
        var t = tau
        applyMask(&t, mask: mask, rescale: rescale)
        return t
    }

    /// Keeps the `max(1, ⌊density · n⌋)` largest |τ| (ties: lower index first); all of τ when
    /// `density ≥ 1`, none when `density ≤ 0`.
    static func magnitude(_ t: inout [Float], density: Double, rescale: Bool) {
        if density >= 1 { return }
        if density <= 0 || t.isEmpty { t = [Float](repeating: 0, count: t.count); return }
        let k = max(1, Int(density * Double(t.count)))
        if k >= t.count { return }
        // One pass: keep above the cut (and the first `room` at it), summing both L1 norms.
        var before = 0.0, after = 0.0
        t.withUnsafeMutableBufferPointer { p in
            var (v, room) = _RankSelection.largestCut(UnsafeBufferPointer(p), count: k)
            if !rescale {
                for i in 0..<p.count {
                    let a = _RankSelection.magnitudeBits(p[i])
                    if a > v { continue }
                    if a == v && room > 0 { room -= 1 } else { p[i] = 0 }
                }
                return
            }
            for i in 0..<p.count {
                let x = p[i], a = _RankSelection.magnitudeBits(x)
                before += Double(abs(x))
                if a > v || (a == v && room > 0) {
                    if a == v { room -= 1 }
                    after += Double(abs(x))
                } else {
                    p[i] = 0
                }
            }
        }
        guard rescale else { return }
        let b = Float(before), a = Float(after)
        guard b >= 1e-7, a >= 1e-7 else { return }
        let scale = b / a
        t.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= scale } }
    }

    /// Model Breadcrumbs: drops the `⌊gamma · n⌋` largest |τ| (fewer when needed to keep the
    /// density) and the smallest, keeping `⌊density · n⌋`.
    static func magnitudeOutliers(_ tau: inout [Float], density: Double, gamma: Double, rescale: Bool) {
        if density >= 1 { return }
        let n = tau.count, target = Int(density * Double(n)), top = Int(gamma * Double(n))
        let bottom = max(0, n - target - top)
        applyMask(&tau, mask: _RankSelection.ascending(tau, ranks: bottom..<(bottom + target)), rescale: rescale)
    }

    /// DARE: keeps each entry with probability `density`, then (with `rescale`) scales by the L1
    /// ratio, its norms summed as ``_LaneL1`` sums them.
    static func bernoulli(_ tau: inout [Float], density: Double, rescale: Bool, random: inout _TensorRandom) {
        if density >= 1 { return }
        let p = Float(density)
        let keep = tau.map { _ in random.uniform() < p }
        var sums = _LaneL1()
        tau.withUnsafeBufferPointer { t in keep.withUnsafeBufferPointer { k in
            if let tb = t.baseAddress, let kb = k.baseAddress { sums.add(tb, keep: kb, start: 0, count: t.count) }
        } }
        for i in tau.indices where !keep[i] { tau[i] = 0 }
        guard rescale, let scale = sums.scale else { return }
        for i in tau.indices { tau[i] *= scale }
    }

    /// DELLA's MagPrune: per row (the first axis; a vector is one row), entry of magnitude rank r
    /// (1 = smallest) kept with probability `density − ε + 2ε · (r − 1)/(cols − 1)`.
    static func dellaMagprune(_ tau: [Float], shape: [Int], density: Double, epsilon: Double, rescale: Bool,
                              random: inout _TensorRandom) throws(MergeError) -> [Float] {
        if density >= 1 { return tau }
        if density <= 0 { return [Float](repeating: 0, count: tau.count) }
        guard density + epsilon < 1, density - epsilon > 0 else {
            throw .invalidOption("della: epsilon \(epsilon) must keep density ± epsilon inside (0, 1) (density \(density))")
        }
        let rows = shape.count >= 2 ? shape[0] : 1, cols = rows > 0 ? tau.count / rows : 0
        var mask = [Bool](repeating: false, count: tau.count)
        for r in 0..<rows {
            let base = r * cols
            let order = (0..<cols).sorted { abs(tau[base + $0]) < abs(tau[base + $1]) || (abs(tau[base + $0]) == abs(tau[base + $1]) && $0 < $1) }
            for (rank, j) in order.enumerated() {
                let norm = cols > 1 ? Float(rank) / Float(cols - 1) : 0
                let p = Float(density - epsilon) + norm * 2 * Float(epsilon)
                mask[base + j] = random.uniform() < p
            }
        }
        return rescaled(tau, mask: mask, rescale: rescale)
    }
}
