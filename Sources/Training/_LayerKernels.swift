import CLIP
import Foundation

/// Forward kernels that keep what backward needs, and the backward kernels, on raw buffers,
/// single-threaded (workers run in parallel over the batch).
enum _LayerKernels {
    /// LayerNorm (eps 1e-5, biased variance) of `rows` rows, strides `srcStride`/`dstStride`,
    /// saving each row's mean and 1/σ.
    static func layerNorm(rows: Int, width: Int, src: UnsafePointer<Float>, srcStride: Int,
                          dst: UnsafeMutablePointer<Float>, dstStride: Int,
                          gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = src + r * srcStride, d = dst + r * dstStride
            var sum: Float = 0
            for i in 0..<width { sum += s[i] }
            let mu = sum / Float(width)
            var sq: Float = 0
            for i in 0..<width { let c = s[i] - mu; sq += c * c }
            let inv = 1 / (sq / Float(width) + 1e-5).squareRoot()
            mean[r] = mu
            rstd[r] = inv
            for i in 0..<width { d[i] = (s[i] - mu) * inv * gamma[i] + beta[i] }
        }
    }

    /// LayerNorm backward: with x̂ = (x − μ)/σ and g = dy ⊙ γ,
    /// `dx += (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ`, `dγ += Σ dy ⊙ x̂`, `dβ += Σ dy`.
    static func layerNormBackward(rows: Int, width: Int, x: UnsafePointer<Float>, xStride: Int,
                                  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                  gamma: UnsafePointer<Float>, dy: UnsafePointer<Float>, dyStride: Int,
                                  dx: UnsafeMutablePointer<Float>, dxStride: Int,
                                  dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xs = x + r * xStride, g = dy + r * dyStride, d = dx + r * dxStride
            let mu = mean[r], inv = rstd[r]
            var sumG: Float = 0, sumGX: Float = 0
            for i in 0..<width {
                let xh = (xs[i] - mu) * inv
                let gi = g[i] * gamma[i]
                sumG += gi
                sumGX += gi * xh
                dGamma[i] += g[i] * xh
                dBeta[i] += g[i]
            }
            let mg = sumG / Float(width), mgx = sumGX / Float(width)
            for i in 0..<width {
                let xh = (xs[i] - mu) * inv
                d[i] += (g[i] * gamma[i] - mg - xh * mgx) * inv
            }
        }
    }

    /// `dst[j] += Σ_r src[r, j]` (bias gradient) over `rows` rows of `width`, row stride `stride`.
    static func addColumnSums(rows: Int, width: Int, src: UnsafePointer<Float>, stride: Int, dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = src + r * stride
            for j in 0..<width { dst[j] += s[j] }
        }
    }

    /// Copies `rows` rows of `width`, `stride` apart, from `src` to the same places in `dst`.
    static func copyRows(_ rows: Int, width: Int, from src: UnsafePointer<Float>, stride: Int, to dst: UnsafeMutablePointer<Float>) {
        if stride == width { dst.update(from: src, count: rows * width); return }
        for r in 0..<rows { (dst + r * stride).update(from: src + r * stride, count: width) }
    }

    /// Adds `bias` to each of `rows` rows of `width`, `stride` apart.
    static func addRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows { let d = dst + r * stride; for j in 0..<width { d[j] += bias[j] } }
    }

    /// Copies `bias` into each of `rows` rows of `width`.
    static func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        for r in 0..<rows { (dst + r * width).update(from: bias, count: width) }
    }

    /// `act(src)` into `dst` (`count` values), with libm's `expf`/`erff`.
    static func activation(_ a: Activation, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, count: Int) {
        switch a {
        case .quickGELU: for i in 0..<count { let x = src[i]; dst[i] = x / (1 + Foundation.exp(-1.702 * x)) }
        case .gelu: for i in 0..<count { let x = src[i]; dst[i] = 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }
        }
    }

    /// `d[i] *= act′(x[i])` for `count` values.
    ///
    /// QuickGELU: `s + 1.702 x s (1 − s)` with `s = σ(1.702 x)`; GELU: `Φ(x) + x φ(x)`.
    static func activationBackward(_ a: Activation, x: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, count: Int) {
        switch a {
        case .quickGELU:
            for i in 0..<count {
                let xi = x[i], s = 1 / (1 + Foundation.exp(-1.702 * xi))
                d[i] *= s + 1.702 * xi * s * (1 - s)
            }
        case .gelu:
            for i in 0..<count {
                let xi = x[i]
                let cdf = 0.5 * (1 + Foundation.erf(xi * 0.70710678118654752))
                d[i] *= cdf + xi * Foundation.exp(-0.5 * xi * xi) * 0.39894228040143268
            }
        }
    }

    /// Softmax of each of `rows` contiguous rows of `n` values, in place (max-subtracted).
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let p = x + r * n
            var mx = -Float.infinity
            for j in 0..<n where p[j] > mx { mx = p[j] }
            var sum: Float = 0
            for j in 0..<n { let e = Foundation.exp(p[j] - mx); p[j] = e; sum += e }
            let inv = 1 / sum
            for j in 0..<n { p[j] *= inv }
        }
    }

    /// Softmax backward in place: `dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale` for `rows` rows of `n`.
    static func softmaxBackward(probs: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int, n: Int, scale: Float) {
        for r in 0..<rows {
            let p = probs + r * n, g = grad + r * n
            var dot: Float = 0
            for j in 0..<n { dot += p[j] * g[j] }
            for j in 0..<n { g[j] = p[j] * (g[j] - dot) * scale }
        }
    }
}
