/// Which entries of a tensor hold given ranks of |τ|, in linear time and without reordering: the
/// bit pattern of the magnitude at a rank by a two-pass radix select (|x|'s bits order as |x|
/// does), then one pass in index order, equal magnitudes ranked by index (lower first), so the
/// choice among ties is deterministic.
enum _RankSelection {
    @inline(__always)
    static func magnitudeBits(_ x: Float) -> UInt32 { x.bitPattern & 0x7FFF_FFFF }

    /// The magnitude bits of ascending rank `r` (0-based) among `tau`, and how many entries are
    /// strictly below it.
    static func rankBits(_ tau: UnsafeBufferPointer<Float>, rank r: Int) -> (bits: UInt32, below: Int) {
        var high = [Int](repeating: 0, count: 1 << 16)
        high.withUnsafeMutableBufferPointer { h in for v in tau { h[Int(magnitudeBits(v) >> 16)] += 1 } }
        var below = 0, bin = 0
        while below + high[bin] <= r { below += high[bin]; bin += 1 }
        var low = [Int](repeating: 0, count: 1 << 16)
        let top = UInt32(bin)
        low.withUnsafeMutableBufferPointer { l in
            for v in tau { let b = magnitudeBits(v); if b >> 16 == top { l[Int(b & 0xFFFF)] += 1 } }
        }
        var sub = 0
        while below + low[sub] <= r { below += low[sub]; sub += 1 }
        return (top << 16 | UInt32(sub), below)
    }

    /// `mask[i]` is true where |τᵢ| has ascending rank in `ranks` (ties: lower index first).
    static func ascending(_ tau: [Float], ranks: Range<Int>) -> [Bool] {
        let n = tau.count
        let lo = max(0, ranks.lowerBound), hi = min(n, ranks.upperBound)
        guard lo < hi else { return [Bool](repeating: false, count: n) }
        return tau.withUnsafeBufferPointer { t in
            let (vLo, lessLo) = rankBits(t, rank: lo)
            let (vHi, lessHi) = rankBits(t, rank: hi - 1)
            var seenLo = 0, seenHi = 0
            return [Bool](unsafeUninitializedCapacity: n) { m, count in
                for i in 0..<n {
                    let a = magnitudeBits(t[i])
                    var keep = false
                    if a > vLo && a < vHi {
                        keep = true
                    } else if a == vLo {
                        let r = lessLo + seenLo
                        seenLo += 1
                        keep = r >= lo && r < hi
                    } else if a == vHi {
                        let r = lessHi + seenHi
                        seenHi += 1
                        keep = r < hi
                    }
                    m[i] = keep
                }
                count = n
            }
        }
    }

    /// The cut for the `k` largest |τᵢ| (0 < k < n): keep entries above `bits`, and the first
    /// `room` entries (in index order) equal to it.
    static func largestCut(_ tau: UnsafeBufferPointer<Float>, count k: Int) -> (bits: UInt32, room: Int) {
        let n = tau.count
        let (v, below) = rankBits(tau, rank: n - k)
        var equal = 0
        for x in tau where magnitudeBits(x) == v { equal += 1 }
        let greater = n - below - equal
        return (v, k - greater)
    }
}
