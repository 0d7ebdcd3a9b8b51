/// mergekit's sparsification of a task vector (`mergekit/sparsify.py`), per tensor.
enum Sparsify {
    /// `masked · ‖τ‖₁ / ‖masked‖₁` (mergekit's L1 `rescaled_masked_tensor`, eps 1e-7), or `masked`
    /// when either norm is below eps or `rescale` is off.
    static func rescaled(_ tau: [Float], mask: [Bool], rescale: Bool) -> [Float] {
        var masked = [Float](repeating: 0, count: tau.count)
        for i in tau.indices where mask[i] { masked[i] = tau[i] }
        guard rescale else { return masked }
        var before = 0.0, after = 0.0
        for i in tau.indices { before += Double(abs(tau[i])); if mask[i] { after += Double(abs(tau[i])) } }
        let b = Float(before), a = Float(after)
        guard b >= 1e-7, a >= 1e-7 else { return masked }
        let scale = b / a
        return masked.map { $0 * scale }
    }

    /// Keeps the `max(1, ⌊density · n⌋)` largest |τ| (ties: lower index first); all of τ when
    /// `density ≥ 1`, none when `density ≤ 0`.
    static func magnitude(_ tau: [Float], density: Double, rescale: Bool) -> [Float] {
        if density >= 1 { return tau }
        if density <= 0 || tau.isEmpty { return [Float](repeating: 0, count: tau.count) }
        let k = max(1, Int(density * Double(tau.count)))
        return rescaled(tau, mask: _RankSelection.largest(tau, count: k), rescale: rescale)
    }

    /// Model Breadcrumbs: drops the `⌊gamma · n⌋` largest |τ| (fewer when needed to keep the
    /// density) and the smallest, keeping `⌊density · n⌋`.
    static func magnitudeOutliers(_ tau: [Float], density: Double, gamma: Double, rescale: Bool) -> [Float] {
        if density >= 1 { return tau }
        let n = tau.count, target = Int(density * Double(n)), top = Int(gamma * Double(n))
        let bottom = max(0, n - target - top)
        return rescaled(tau, mask: _RankSelection.ascending(tau, ranks: bottom..<(bottom + target)), rescale: rescale)
    }

    /// DARE: keeps each entry with probability `density`.
    static func bernoulli(_ tau: [Float], density: Double, rescale: Bool, random: inout _TensorRandom) -> [Float] {
        if density >= 1 { return tau }
        let p = Float(density)
        let mask = tau.map { _ in random.uniform() < p }
        return rescaled(tau, mask: mask, rescale: rescale)
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
