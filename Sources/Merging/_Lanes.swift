/// 8-lane vector helpers for the streaming passes.
///
/// Every per-parameter kernel works on 8 consecutive parameters at once (`SIMD8<Float>`), with
/// the tasks in an inner loop and the per-parameter state (sums, counts, maxima) in registers.
/// Each lane performs exactly the `Float` operations of the one-parameter definitions, in the
/// same task order; a conditional update `if c { s += x }` becomes `s += _Lane.kept(x, where: c)`
/// (x or +0), which is the same because a sum that starts at +0 never becomes −0, and
/// `s + (+0) == s` for every other `s` (NaN included).
typealias _F8 = SIMD8<Float>
typealias _I8 = SIMD8<Int32>
typealias _U8 = SIMD8<UInt32>
typealias _M8 = SIMDMask<SIMD8<Int32>>

enum _Lane {
    /// 8 values at `p + j`, any alignment.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ j: Int) -> _F8 {
        UnsafeRawPointer(p + j).loadUnaligned(as: _F8.self)
    }

    /// Stores 8 values at `p + j`, any alignment.
    @inline(__always)
    static func store(_ v: _F8, _ p: UnsafeMutablePointer<Float>, _ j: Int) {
        UnsafeMutableRawPointer(p + j).storeBytes(of: v, as: _F8.self)
    }

    /// The bit patterns of |v| (sign bit cleared), as ``MagnitudeSelection/magnitudeBits(_:)``.
    @inline(__always)
    static func magnitudeBits(_ v: _F8) -> _U8 { unsafeBitCast(v, to: _U8.self) & 0x7FFF_FFFF }

    /// |v| per lane, exactly `abs` (clears the sign bit, NaN stays NaN).
    @inline(__always)
    static func magnitude(_ v: _F8) -> _F8 { unsafeBitCast(magnitudeBits(v), to: _F8.self) }

    /// 1 in the lanes where `m` holds, else 0: add it to an `_I8` counter. (A mask lane is all
    /// ones, i.e. −1, where it holds; plain bit operations compile to far better code than the
    /// lane-by-lane `replacing(with:where:)`.)
    @inline(__always)
    static func ones(_ m: _M8) -> _I8 { _I8(repeating: 0) &- unsafeBitCast(m, to: _I8.self) }

    /// `x` where `m` holds, +0 elsewhere: `x.replacing(with: 0, where: .!m)` as one bitwise and.
    @inline(__always)
    static func kept(_ x: _F8, where m: _M8) -> _F8 {
        unsafeBitCast(unsafeBitCast(x, to: _U8.self) & unsafeBitCast(m, to: _U8.self), to: _F8.self)
    }

    /// `a` where `m` holds, else `b` (`b.replacing(with: a, where: m)` as bit operations).
    @inline(__always)
    static func select(_ m: _M8, _ a: _F8, _ b: _F8) -> _F8 {
        let k = unsafeBitCast(m, to: _U8.self)
        return unsafeBitCast((unsafeBitCast(a, to: _U8.self) & k) | (unsafeBitCast(b, to: _U8.self) & ~k), to: _F8.self)
    }

    /// `a` where `m` holds, else `b`.
    @inline(__always)
    static func select(_ m: _M8, _ a: _I8, _ b: _I8) -> _I8 {
        let k = unsafeBitCast(m, to: _I8.self)
        return (a & k) | (b & ~k)
    }

    /// `Float(n)` per lane, exactly, for 0 ≤ n < 2²³ (counts): the bits of 2²³ + n, minus 2²³
    /// (the generic integer-to-float initialiser is not inlined).
    @inline(__always)
    static func float(_ n: _I8) -> _F8 {
        unsafeBitCast(unsafeBitCast(n, to: _U8.self) | 0x4B00_0000, to: _F8.self) - _F8(repeating: 8_388_608)
    }

    /// Whether any lane of `m` is non-zero.
    @inline(__always)
    static func any(_ m: _I8) -> Bool {
        let w = unsafeBitCast(m, to: (UInt64, UInt64, UInt64, UInt64).self)
        return (w.0 | w.1 | w.2 | w.3) != 0
    }

    /// Σ_j |p[j]| in `Double`, in eight lanes (entry j in lane j mod 8, each lane in order, added
    /// as ``_LaneL1/total(_:)`` adds them): the same sum whatever the caller, to within double
    /// rounding of the in-order one.
    static func l1(_ values: UnsafeBufferPointer<Float>) -> Double {
        guard let p = values.baseAddress else { return 0 }
        var lanes = SIMD8<Double>(), j = 0
        while j + 8 <= values.count {
            lanes += SIMD8<Double>(magnitude(load(p, j)))
            j += 8
        }
        while j < values.count { lanes[j & 7] += Double(abs(p[j])); j += 1 }
        return _LaneL1.total(lanes)
    }

    /// How many j < `count` have `a[j] != b[j]` (IEEE, as ``differ(_:_:count:)``), 8 lanes at a time.
    static func countDiffering(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Int {
        var lanes = _I8(repeating: 0), j = 0
        while j + 8 <= count {
            lanes &+= ones(load(a, j) .!= load(b, j))
            j += 8
        }
        var n = sum(lanes)
        while j < count {
            if a[j] != b[j] { n += 1 }
            j += 1
        }
        return n
    }

    /// Whether `a[j] != b[j]` for some j < `count` (IEEE: a NaN differs from everything, −0 equals
    /// +0), 8 lanes at a time, stopping at the first block that differs.
    static func differ(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Bool {
        var j = 0
        while j + 64 <= count {
            var m = load(a, j) .!= load(b, j)
            for k in stride(from: j + 8, to: j + 64, by: 8) { m = m .| (load(a, k) .!= load(b, k)) }
            if any(m) { return true }
            j += 64
        }
        while j < count {
            if a[j] != b[j] { return true }
            j += 1
        }
        return false
    }

    /// Whether any lane of `m` holds (four 64-bit ors instead of a lane loop).
    @inline(__always)
    static func any(_ m: _M8) -> Bool {
        let w = unsafeBitCast(m, to: (UInt64, UInt64, UInt64, UInt64).self)
        return (w.0 | w.1 | w.2 | w.3) != 0
    }

    /// Σ_t τ_t = Σ_t (θ_t − θ0), summed in `Float` in task order (as the scalar loop does).
    @inline(__always)
    static func taskSum(_ b: _F8, _ tasks: UnsafePointer<UnsafePointer<Float>>, _ j: Int, _ T: Int) -> _F8 {
        var v = _F8(repeating: 0)
        for t in 0..<T { v += load(tasks[t], j) - b }
        return v
    }

    /// The lane-wise sum of `v` as `Double`.
    @inline(__always)
    static func sum(_ v: _F8) -> Double {
        var s = 0.0
        for k in 0..<8 { s += Double(v[k]) }
        return s
    }

    /// The lane-wise sum of `v` as `Int`.
    @inline(__always)
    static func sum(_ v: _I8) -> Int {
        var s = 0
        for k in 0..<8 { s += Int(v[k]) }
        return s
    }
}

/// An L1 norm accumulated per lane in `Float` and flushed into a `Double` every 32 groups (256
/// values), so that the `Float` partial sums stay short.
struct _NormAccumulator {
    private var lanes = _F8(repeating: 0)
    private var groups = 0
    private var flushed = 0.0

    /// Adds |v| of every lane (callers zero dead lanes first, or rely on padded lanes being 0).
    @inline(__always)
    mutating func add(_ v: _F8) {
        lanes += _Lane.magnitude(v)
        groups += 1
        if groups == 32 {
            flushed += _Lane.sum(lanes)
            lanes = _F8(repeating: 0)
            groups = 0
        }
    }

    /// The total so far.
    var total: Double { flushed + _Lane.sum(lanes) }
}

extension _Chunk {
    /// Visits the chunk indices `r` in groups of 8 parameters.
    ///
    /// `body(base, tasks, j, i, live)` reads lanes `j..<j+8` of `base` and of every `tasks[t]`;
    /// they hold the parameters at chunk indices `i..<i+8`, and `live` marks the lanes inside `r`.
    /// It returns 8 output values, stored into `out[i...]` (live lanes only) when `out` is given.
    /// Full groups read the mapped inputs in place (`j == i`). The last partial group is first
    /// copied into zero-padded scratch (`j == 0`), so every load is a full 8-lane load; padded
    /// lanes see θ0 = θ_t = 0, hence τ = 0, which adds nothing to sums and norms, but counts and
    /// histograms must still skip them through `live`.
    @inline(__always)
    func groups(_ r: Range<Int>, taskCount T: Int, out: UnsafeMutablePointer<Float>? = nil,
                _ body: (_ base: UnsafePointer<Float>, _ tasks: UnsafePointer<UnsafePointer<Float>>,
                         _ j: Int, _ i: Int, _ live: _M8) -> _F8) {
        let full = r.lowerBound + (r.count & ~7)
        let all = _M8(repeating: true)
        var i = r.lowerBound
        while i < full {
            let v = body(base, tasks, i, i, all)
            if let out { _Lane.store(v, out, i) }
            i += 8
        }
        let rest = r.upperBound - full
        guard rest > 0 else { return }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * (T + 1)) { pad in
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: max(T, 1)) { ptrs in
                let p = pad.baseAddress!
                pad.initialize(repeating: 0)
                ptrs.initialize(repeating: UnsafePointer(p))
                for k in 0..<rest { p[k] = base[full + k] }
                for t in 0..<T {
                    for k in 0..<rest { p[8 * (t + 1) + k] = tasks[t][full + k] }
                    ptrs[t] = UnsafePointer(p + 8 * (t + 1))
                }
                let live = _I8(0, 1, 2, 3, 4, 5, 6, 7) .< _I8(repeating: Int32(rest))
                let v = body(UnsafePointer(p), UnsafePointer(ptrs.baseAddress!), 0, full, live)
                if let out { for k in 0..<rest { out[full + k] = v[k] } }
            }
        }
    }
}
