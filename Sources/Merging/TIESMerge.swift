/// TIES-merging's per-parameter arithmetic, exactly as `ties_utils.py` does it on the flattened
/// T × d matrix (spec §2.2), for one parameter at a time.
///
/// - Trim: τ̃_t = τ_t where |τ_t| ≥ kth_t (the exact k-th smallest |τ_t| over the whole model;
///   0 keeps everything), else 0.
/// - Elect: s = Σ_t τ̃_t in `Float`, t = 0…T−1; the sign is sign(s), or `majority` where s = 0.
/// - Disjoint merge over the entries that agree (`x > 0` where the sign is > 0, else `x < 0`, as
///   `torch.where(sign > 0, x > 0, x < 0)` selects).
enum TIESMerge {
    /// The merged value of one parameter.
    /// - Parameters:
    ///   - base: θ0 at the parameter; `tasks[t][i]` is θ_t there, so τ_t = θ_t − θ0 in `Float`.
    ///   - kth: per-task trim thresholds.
    ///   - majority: the global majority sign, sign(Σ over parameters of sign(s)).
    @inline(__always)
    static func value(
        at i: Int, base: Float, tasks: UnsafePointer<UnsafePointer<Float>>, taskCount T: Int,
        kth: UnsafePointer<Float>, aggregation: TIESAggregation, majority: Float
    ) -> Float {
        var s: Float = 0
        for t in 0..<T {
            let x = tasks[t][i] - base
            if abs(x) >= kth[t] { s += x }
        }
        let e: Float = s > 0 ? 1 : (s < 0 ? -1 : majority)
        switch aggregation {
        case .sum, .mean:
            var acc: Float = 0
            var n = 0
            for t in 0..<T {
                let x = tasks[t][i] - base
                if abs(x) >= kth[t], e > 0 ? x > 0 : x < 0 {
                    acc += x
                    n += 1
                }
            }
            return aggregation == .sum ? acc : acc / Float(max(n, 1))
        case .max:
            var m: Float = 0
            for t in 0..<T {
                let x = tasks[t][i] - base
                if abs(x) >= kth[t], e > 0 ? x > 0 : x < 0 { m = max(m, abs(x)) }
            }
            return m * e
        }
    }

    /// The elected sign's contribution to the majority count: +1, −1 or 0 (where s = 0).
    @inline(__always)
    static func signOfTrimmedSum(
        at i: Int, base: Float, tasks: UnsafePointer<UnsafePointer<Float>>, taskCount T: Int, kth: UnsafePointer<Float>
    ) -> Int {
        var s: Float = 0
        for t in 0..<T {
            let x = tasks[t][i] - base
            if abs(x) >= kth[t] { s += x }
        }
        return s > 0 ? 1 : (s < 0 ? -1 : 0)
    }
}

/// ``TIESMerge/value(at:base:tasks:taskCount:kth:aggregation:majority:)`` for 8 parameters at
/// once, split by sign so that the elected sign can be applied afterwards (or several candidate
/// signs tried, as the fused sign-election + norm pass does).
///
/// The disjoint merge keeps the trimmed τ_t with `τ_t > 0` where the elected sign is > 0 and
/// `τ_t < 0` otherwise; accumulating both sides separately, each in task order, gives exactly
/// the scalar accumulator of either choice.
struct _TIESLanes {
    /// Σ_t trimmed τ_t, in task order: the election sum `s`.
    var s = _F8(repeating: 0)
    /// Σ of the trimmed τ_t > 0 / < 0, in task order.
    var sumPos = _F8(repeating: 0), sumNeg = _F8(repeating: 0)
    /// How many trimmed τ_t are > 0 / < 0.
    var countPos = _I8(repeating: 0), countNeg = _I8(repeating: 0)
    /// max |τ_t| over the trimmed τ_t > 0 / < 0 (0 when there are none); only with `wantMax`.
    var maxPos = _F8(repeating: 0), maxNeg = _F8(repeating: 0)

    /// No task yet: every sum, count and maximum is 0.
    @inline(__always)
    init() {}

    /// Reads lanes `j..<j+8` of every task; `b` is θ0 there.
    @inline(__always)
    init(_ b: _F8, _ tasks: UnsafePointer<UnsafePointer<Float>>, _ j: Int, _ T: Int,
         kth: UnsafePointer<Float>, wantMax: Bool) {
        for t in 0..<T {
            let x = _Lane.load(tasks[t], j) - b
            add(x, kept: _Lane.magnitude(x) .>= _F8(repeating: kth[t]), wantMax: wantMax)
        }
    }

    /// Adds the next task's τ, `kept` marking the lanes the trim keeps.
    @inline(__always)
    mutating func add(_ x: _F8, kept: _M8, wantMax: Bool) {
        let zero = _F8(repeating: 0)
        let pos = kept .& (x .> zero)
        let neg = kept .& (x .< zero)
        s += _Lane.kept(x, where: kept)
        sumPos += _Lane.kept(x, where: pos)
        sumNeg += _Lane.kept(x, where: neg)
        countPos &+= _Lane.ones(pos)
        countNeg &+= _Lane.ones(neg)
        if wantMax {
            let mag = _Lane.magnitude(x)
            maxPos = pointwiseMax(maxPos, _Lane.kept(mag, where: pos))
            maxNeg = pointwiseMax(maxNeg, _Lane.kept(mag, where: neg))
        }
    }

    /// The elected sign: sign(s), or `majority` where s is 0 (or NaN).
    @inline(__always)
    func elected(majority: Float) -> _F8 {
        _F8(repeating: majority).replacing(with: 1, where: s .> 0).replacing(with: -1, where: s .< 0)
    }

    /// The merged value under the elected signs `e`.
    @inline(__always)
    func value(_ aggregation: TIESAggregation, elected e: _F8) -> _F8 {
        let positive = e .> 0
        switch aggregation {
        case .sum:
            return _Lane.select(positive, sumPos, sumNeg)
        case .mean:
            let n = _Lane.select(positive, countPos, countNeg)
            let one = _I8(repeating: 1)
            return _Lane.select(positive, sumPos, sumNeg) / _Lane.float(_Lane.select(n .> one, n, one))
        case .max:
            return _Lane.select(positive, maxPos, maxNeg) * e
        }
    }

    /// The merged value if the elected sign were +1, −1 or 0 everywhere: what
    /// `value(aggregation, elected:)` gives for those constant signs, computed once.
    @inline(__always)
    func candidates(_ aggregation: TIESAggregation) -> (plus: _F8, minus: _F8, zero: _F8) {
        switch aggregation {
        case .sum:
            return (sumPos, sumNeg, sumNeg)
        case .mean:
            let one = _I8(repeating: 1)
            let minus = sumNeg / _Lane.float(_Lane.select(countNeg .> one, countNeg, one))
            return (sumPos / _Lane.float(_Lane.select(countPos .> one, countPos, one)), minus, minus)
        case .max:
            return (maxPos, maxNeg * _F8(repeating: -1), maxNeg * _F8(repeating: 0))
        }
    }
}
