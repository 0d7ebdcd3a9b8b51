import Foundation

/// The CPU backend's backward kernels, on raw buffers, single-threaded (training workers run in
/// parallel over the batch). Derivatives use libm's `expf`/`erff`.
enum _BackwardKernels {
    /// LayerNorm backward: with x̂ = (x − μ)/σ and g = dy ⊙ γ,
    /// `dx += (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ`, `dγ += Σ dy ⊙ x̂`, `dβ += Σ dy`.
    static func layerNorm(rows: Int, width: Int, x: UnsafePointer<Float>, xStride: Int,
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

    /// `d[i] *= act′(x[i])` for `count` values.
    ///
    /// QuickGELU: `s + 1.702 x s (1 − s)` with `s = σ(1.702 x)`; GELU: `Φ(x) + x φ(x)`.
    static func activation(_ a: Activation, x: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, count: Int) {
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

    /// Softmax backward in place: `dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale` for `rows` rows of `n`.
    static func softmax(probs: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int, n: Int, scale: Float) {
        for r in 0..<rows {
            let p = probs + r * n, g = grad + r * n
            var dot: Float = 0
            for j in 0..<n { dot += p[j] * g[j] }
            for j in 0..<n { g[j] = p[j] * (g[j] - dot) * scale }
        }
    }
}
