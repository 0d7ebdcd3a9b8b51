import Foundation
import Tensors

/// `torch.nn.utils.clip_grad_norm_(params, maxNorm)` over a flat gradient buffer.
public enum GradientClipping {
    /// Scales `gradient` by `min(1, maxNorm / (‖g‖₂ + 1e-6))` and returns ‖g‖₂ before scaling
    /// (accumulated in `Double`).
    @discardableResult
    public static func clip(_ gradient: ParameterBuffer, maxNorm: Double) -> Double {
        let g = gradient.pointer
        let parts = max(1, min(Parallel.threadCount, gradient.count >> 15))
        var sums = [Double](repeating: 0, count: parts)
        let n = gradient.count
        sums.withUnsafeMutableBufferPointer { sp in
            guard let s = sp.baseAddress else { return }
            Parallel.forEach(parts) { k in
                var acc = 0.0
                for i in (k * n / parts)..<((k + 1) * n / parts) { let x = Double(g[i]); acc += x * x }
                s[k] = acc
            }
        }
        let norm = sums.reduce(0, +).squareRoot()
        let coef = min(1, maxNorm / (norm + 1e-6))
        if coef < 1 {
            let c = Float(coef)
            Parallel.forRanges(count: n, minChunk: 1 << 15) { r in for i in r { g[i] *= c } }
        }
        return norm
    }
}
