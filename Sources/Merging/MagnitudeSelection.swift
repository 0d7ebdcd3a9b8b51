/// Exact k-th smallest |x| over a stream of values, by two radix-histogram passes over the
/// IEEE-754 bit patterns (for non-negative floats, bit order is value order).
///
/// Pass 1 counts the high 16 bits of |x|; the bucket holding the k-th value is found by a prefix
/// sum. Pass 2 counts the low 16 bits of the values in that bucket. The result equals
/// `torch.kthvalue(|x|, k)` bit for bit, with no sorting and O(65536) memory per row.
public struct MagnitudeSelection: Sendable {
    /// `torch.kthvalue` rank (1-based) used by TIES's `topk_values_mask` to keep the top `k` %:
    /// d − int(d · K/100). Zero means "keep everything" (K = 100).
    public static func kthRank(count d: Int, percent k: Double) -> Int {
        let fraction = k / 100
        return d - Int((Double(d) * fraction).rounded(.towardZero))
    }

    /// The magnitude bits of `x`: the bit pattern with the sign cleared.
    @inline(__always)
    public static func magnitudeBits(_ x: Float) -> UInt32 { x.bitPattern & 0x7FFF_FFFF }

    /// 1-based rank to find.
    public let rank: Int
    /// Counts of the high 16 bits (pass 1).
    public var high: [Int]
    /// Counts of the low 16 bits inside ``bucket`` (pass 2).
    public var low: [Int]
    /// The chosen high bucket after pass 1.
    public private(set) var bucket: UInt32 = 0
    private var remaining = 0

    /// Starts a selection of the `rank`-th smallest magnitude (1-based).
    public init(rank: Int) {
        self.rank = rank
        high = [Int](repeating: 0, count: 1 << 16)
        low = [Int](repeating: 0, count: 1 << 16)
    }

    /// After pass 1: picks the bucket holding the rank-th value. Returns `false` if fewer values
    /// than `rank` were counted.
    public mutating func finishHighPass() -> Bool {
        var cum = 0
        for b in 0..<high.count {
            if cum + high[b] >= rank {
                bucket = UInt32(b)
                remaining = rank - cum
                return true
            }
            cum += high[b]
        }
        return false
    }

    /// After pass 2: the exact k-th smallest magnitude.
    public func finishLowPass() -> Float? {
        var cum = 0
        for v in 0..<low.count {
            cum += low[v]
            if cum >= remaining { return Float(bitPattern: bucket << 16 | UInt32(v)) }
        }
        return nil
    }

    /// Convenience for in-memory values (tests, small tensors): the exact `rank`-th smallest |x|.
    public static func kthSmallestMagnitude(_ values: [Float], rank: Int) -> Float? {
        guard rank >= 1, rank <= values.count else { return nil }
        var s = MagnitudeSelection(rank: rank)
        for x in values { s.high[Int(magnitudeBits(x) >> 16)] += 1 }
        guard s.finishHighPass() else { return nil }
        for x in values where magnitudeBits(x) >> 16 == s.bucket { s.low[Int(magnitudeBits(x) & 0xFFFF)] += 1 }
        return s.finishLowPass()
    }
}
