import Foundation
import Tensors

/// Row-wise and elementwise kernels of the forward pass, on raw contiguous buffers.
///
/// Accuracy: `exp` is a Cephes-style range reduction with a degree-6 polynomial, within 2 ulp of
/// `expf` on [-87, 88]; LayerNorm is two-pass (mean, then centred squares) in `Float`, like PyTorch.
enum _Kernels {
    typealias V = SIMD8<Float>

    /// e^x on 8 lanes.
    ///
    /// n = round(x · log2 e) by the 1.5·2²³ shifter (the sum's low mantissa bits hold n), then
    /// e^x = 2ⁿ · e^r with r = x − n ln 2 in [−ln2/2, ln2/2] and a degree-6 polynomial for e^r.
    @inline(__always)
    static func exp(_ x: V) -> V {
        let x = x.replacing(with: -87.3, where: x .< -87.3).replacing(with: 88.3, where: x .> 88.3)
        let shifter: Float = 12582912  // 1.5 · 2²³
        let t = x * 1.44269504088896341 + shifter
        let n = t - shifter
        var r = x - n * 0.693359375
        r = r + n * 2.12194440e-4
        var p = V(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        let tb = unsafeBitCast(t, to: SIMD8<UInt32>.self)
        let bits = (tb &- SIMD8<UInt32>(repeating: 0x4B40_0000) &+ SIMD8<UInt32>(repeating: 127)) &<< SIMD8<UInt32>(repeating: 23)
        return p * unsafeBitCast(bits, to: V.self)
    }

    /// `body(i)` for `i` in `0..<count`, on ``Parallel`` threads when `parallel`.
    @inline(__always)
    static func split(_ count: Int, parallel: Bool, _ body: (Int) -> Void) {
        if parallel { Parallel.forEach(count, body) } else { for i in 0..<count { body(i) } }
    }

    /// `body(range)` over `0..<count` in chunks of at least `minChunk`, in parallel when `parallel`.
    @inline(__always)
    static func ranges(_ count: Int, minChunk: Int, parallel: Bool, _ body: (Range<Int>) -> Void) {
        if parallel { Parallel.forRanges(count: count, minChunk: minChunk, body) } else if count > 0 { body(0..<count) }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// Applies `f` to `n` values in place, 8 at a time (the tail padded with zeros).
    @inline(__always)
    static func map(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        map(UnsafePointer(x), x, n, f)
    }

    /// `dst[i] = f(src[i])` for `n` values, 8 at a time (the tail padded with zeros); `src` may be `dst`.
    @inline(__always)
    static func map(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n { store(f(load(src, i)), dst, i); i += 8 }
        if i < n {
            var t = V()
            for j in 0..<(n - i) { t[j] = src[i + j] }
            t = f(t)
            for j in 0..<(n - i) { dst[i + j] = t[j] }
        }
    }

    /// `dst = x · σ(1.702 x)` of `src` (in place when equal), in parallel.
    static func quickGELU(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, parallel: Bool = true) {
        ranges(count, minChunk: 1 << 14, parallel: parallel) { r in
            map(src + r.lowerBound, dst + r.lowerBound, r.count) { v in v / (1 + exp(-1.702 * v)) }
        }
    }

    /// erf on 8 lanes: Abramowitz & Stegun 7.1.26 (1.5e-7), ≤ 5e-7 absolute with Float rounding.
    @inline(__always)
    static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.3275911 * a)
        var p = V(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let y = 1 - p * t * exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// `dst = ½ x (1 + erf(x / √2))` of `src` (in place when equal), in parallel (erf within 5e-7).
    static func gelu(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, parallel: Bool = true) {
        ranges(count, minChunk: 1 << 14, parallel: parallel) { r in
            map(src + r.lowerBound, dst + r.lowerBound, r.count) { v in 0.5 * v * (1 + erf(v * 0.70710678118654752)) }
        }
    }

    /// LayerNorm over `rows` rows of `width` from `src` (row stride `srcStride`) into `dst`
    /// (row stride `dstStride`): `(x - mean) / sqrt(var + eps) · gamma + beta`, biased variance;
    /// each row's mean and 1/σ stored at `mean[row]`, `rstd[row]` when given.
    static func layerNorm(rows: Int, width: Int, src: UnsafePointer<Float>, srcStride: Int,
                          dst: UnsafeMutablePointer<Float>, dstStride: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float = 1e-5,
                          mean savedMean: UnsafeMutablePointer<Float>? = nil, rstd savedRstd: UnsafeMutablePointer<Float>? = nil,
                          parallel: Bool = true) {
        ranges(rows, minChunk: max(1, 8192 / max(width, 1)), parallel: parallel) { r in
            for row in r {
                let s = src + row * srcStride, d = dst + row * dstStride
                var acc = V(), i = 0, sum: Float = 0
                while i + 8 <= width { acc += load(s, i); i += 8 }
                sum = acc.sum()
                while i < width { sum += s[i]; i += 1 }
                let mean = sum / Float(width)
                var acc2 = V(), sq: Float = 0
                i = 0
                let m = V(repeating: mean)
                while i + 8 <= width { let c = load(s, i) - m; acc2 += c * c; i += 8 }
                sq = acc2.sum()
                while i < width { let c = s[i] - mean; sq += c * c; i += 1 }
                let inv = 1 / (sq / Float(width) + eps).squareRoot()
                savedMean?[row] = mean
                savedRstd?[row] = inv
                let vi = V(repeating: inv)
                i = 0
                while i + 8 <= width {
                    store((load(s, i) - m) * vi * load(gamma, i) + load(beta, i), d, i); i += 8
                }
                while i < width { d[i] = (s[i] - mean) * inv * gamma[i] + beta[i]; i += 1 }
            }
        }
    }

    /// Softmax of each of `rows` rows of `n` contiguous values, in place.
    @inline(__always)
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for row in 0..<rows {
            let p = x + row * n
            var mx = -Float.infinity
            for j in 0..<n where p[j] > mx { mx = p[j] }
            let m = V(repeating: mx)
            map(p, n) { v in exp(v - m) }
            var sum: Float = 0
            for j in 0..<n { sum += p[j] }
            let inv = 1 / sum
            for j in 0..<n { p[j] *= inv }
        }
    }

    /// Copies `bias` into each of `rows` rows of `width` (to be accumulated into by sgemm, β = 1).
    static func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>,
                         parallel: Bool = true) {
        ranges(rows, minChunk: max(1, 16384 / max(width, 1)), parallel: parallel) { r in
            for row in r { (dst + row * width).update(from: bias, count: width) }
        }
    }

    /// Adds `bias` to each of `rows` rows of `width`, `stride` apart (default: contiguous).
    static func addRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil,
                        bias: UnsafePointer<Float>, parallel: Bool = true) {
        let stride = stride ?? width
        ranges(rows, minChunk: max(1, 16384 / max(width, 1)), parallel: parallel) { r in
            for row in r {
                let d = dst + row * stride
                var i = 0
                while i + 8 <= width { store(load(d, i) + load(bias, i), d, i); i += 8 }
                while i < width { d[i] += bias[i]; i += 1 }
            }
        }
    }
}
