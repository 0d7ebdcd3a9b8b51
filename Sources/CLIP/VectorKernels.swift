/// The vectorised elementwise kernels of the forward pass, for other modules (the backward
/// passes of `Training`) that need the same functions on raw buffers.
///
/// Accuracy as the forward pass: `exp` within 2 ulp of `expf` on [−87, 88] (inputs clamped to
/// that range), `erf` within 5e-7 absolute.
public enum VectorKernels {
    /// `x[i] = e^(scale · x[i])` for `i` in `0..<count`.
    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
        let s = _Kernels.V(repeating: scale)
        _Kernels.map(x, count) { v in _Kernels.exp(v * s) }
    }

    /// `x[i] = erf(scale · x[i])` for `i` in `0..<count`.
    public static func erf(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
        let s = _Kernels.V(repeating: scale)
        _Kernels.map(x, count) { v in _Kernels.erf(v * s) }
    }

    /// QuickGELU `x · σ(1.702 x)` in place, on the calling thread.
    public static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
        _Kernels.quickGELU(x, count: count, parallel: false)
    }

    /// GELU `½ x (1 + erf(x / √2))` in place, on the calling thread.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        _Kernels.gelu(x, count: count, parallel: false)
    }

    /// Softmax of each of `rows` contiguous rows of `n` values, in place.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        _Kernels.softmaxRows(x, rows: rows, n: n)
    }
}
