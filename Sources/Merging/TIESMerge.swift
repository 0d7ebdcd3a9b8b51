/// TIES-merging's per-parameter arithmetic, exactly as `ties_utils.py` does it on the flattened
/// T × d matrix (spec §2.2), for one parameter at a time.
///
/// - Trim: τ̃_t = τ_t where |τ_t| ≥ kth_t (the exact k-th smallest |τ_t| over the whole model;
///   0 keeps everything), else 0.
/// - Elect: s = Σ_t τ̃_t in `Float`, t = 0…T−1; the sign is sign(s), or `majority` where s = 0.
/// - Disjoint merge over the entries that agree (`x > 0` where the sign is > 0, else `x < 0`, as
///   `torch.where(sign > 0, x > 0, x < 0)` selects).
public enum TIESMerge {
    /// The merged value of one parameter.
    /// - Parameters:
    ///   - base: θ0 at the parameter; `tasks[t][i]` is θ_t there, so τ_t = θ_t − θ0 in `Float`.
    ///   - kth: per-task trim thresholds.
    ///   - majority: the global majority sign, sign(Σ over parameters of sign(s)).
    @inline(__always)
    public static func value(
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
    public static func signOfTrimmedSum(
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
