/// Which entries of a tensor hold given ranks of |τ|, in linear time: the value at a rank by
/// quickselect, then one pass in index order (equal magnitudes ranked by index, lower first), so
/// the choice among ties is deterministic.
enum _RankSelection {
    /// The value of rank `k` (0-based, ascending) of `values`; reorders `values`.
    static func select(_ values: inout [Float], rank k: Int) -> Float {
        var lo = 0, hi = values.count - 1
        while lo < hi {
            // Median of three as the pivot.
            let mid = lo + (hi - lo) / 2
            let a = values[lo], b = values[mid], c = values[hi]
            let pivot = max(min(a, b), min(max(a, b), c))
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
        }
        return values[k]
    }

    /// `mask[i]` is true where |τᵢ| has ascending rank in `ranks` (ties: lower index first).
    static func ascending(_ tau: [Float], ranks: Range<Int>) -> [Bool] {
        let n = tau.count
        var mask = [Bool](repeating: false, count: n)
        let lo = max(0, ranks.lowerBound), hi = min(n, ranks.upperBound)
        guard lo < hi else { return mask }
        var scratch = tau.map { abs($0) }
        let vLo = select(&scratch, rank: lo)
        let vHi = select(&scratch, rank: hi - 1)
        var lessLo = 0, lessHi = 0
        for x in tau { let a = abs(x); if a < vLo { lessLo += 1 }; if a < vHi { lessHi += 1 } }
        var seenLo = 0, seenHi = 0
        for i in 0..<n {
            let a = abs(tau[i])
            if a > vLo && a < vHi {
                mask[i] = true
            } else if a == vLo {
                let r = lessLo + seenLo
                seenLo += 1
                mask[i] = r >= lo && r < hi
            } else if a == vHi {
                let r = lessHi + seenHi
                seenHi += 1
                mask[i] = r < hi
            }
        }
        return mask
    }

    /// `mask[i]` is true for the `k` largest |τᵢ| (ties: lower index first).
    static func largest(_ tau: [Float], count k: Int) -> [Bool] {
        let n = tau.count
        guard k > 0 else { return [Bool](repeating: false, count: n) }
        guard k < n else { return [Bool](repeating: true, count: n) }
        var scratch = tau.map { abs($0) }
        let v = select(&scratch, rank: n - k)  // the k-th largest
        var greater = 0
        for x in tau where abs(x) > v { greater += 1 }
        var room = k - greater
        var mask = [Bool](repeating: false, count: n)
        for i in 0..<n {
            let a = abs(tau[i])
            if a > v { mask[i] = true } else if a == v && room > 0 { mask[i] = true; room -= 1 }
        }
        return mask
    }
}
