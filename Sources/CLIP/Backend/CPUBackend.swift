import Tensors

/// The CPU backend: OpenBLAS `sgemm` and the SIMD kernels of ``_Kernels`` (forward) and
/// ``_BackwardKernels`` (backward).
///
/// With `parallel`, row-wise kernels run on ``Parallel`` threads and attention spreads its
/// (image, head) jobs over them with single-threaded BLAS; without it everything runs on the
/// calling thread (a worker that owns part of a batch). GEMM uses whatever BLAS threading the
/// caller set (``BLASThreads``).
package struct CPUBackend: ComputeBackend {
    /// Whether kernels may fork threads.
    package var parallel: Bool

    package init(parallel: Bool) {
        self.parallel = parallel
    }

    @inline(__always)
    package func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    package func layerNorm(rows: Int, width: Int, src: UnsafePointer<Float>, srcStride: Int,
                           dst: UnsafeMutablePointer<Float>, dstStride: Int,
                           gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, stats: LayerNormStats?) {
        _Kernels.layerNorm(rows: rows, width: width, src: src, srcStride: srcStride, dst: dst, dstStride: dstStride,
                           gamma: gamma, beta: beta, mean: stats?.mean, rstd: stats?.rstd, parallel: parallel)
    }

    package func attention(_ a: AttentionProblem) {
        let t = a.tokens, w = a.width, heads = a.heads, hd = a.headWidth, queries = a.queries
        let scale = 1 / Float(hd).squareRoot(), jobs = a.images * heads
        let qkv = a.qkv, context = a.context
        let attend: (Int, UnsafeMutablePointer<Float>) -> Void = { job, scores in
            let img = job / heads, h = job % heads
            let base = qkv + img * t * 3 * w + h * hd
            BLAS.sgemm(transposeB: true, m: queries, n: t, k: hd, alpha: scale, a: base, lda: 3 * w,
                       b: base + w, ldb: 3 * w, c: scores, ldc: t)
            _Kernels.softmaxRows(scores, rows: queries, n: t)
            BLAS.sgemm(m: queries, n: hd, k: t, a: scores, lda: t, b: base + 2 * w, ldb: 3 * w,
                       c: context + img * t * w + h * hd, ldc: w)
        }
        switch a.scores {
        case .scratch(let base, let available):
            let slots = min(available, jobs)
            if parallel && slots > 1 {
                BLASThreads.singleThreaded {
                    Parallel.forEach(slots) { slot in
                        var job = slot
                        while job < jobs { attend(job, base + slot * t * t); job += slots }
                    }
                }
            } else {
                for job in 0..<jobs { attend(job, base) }
            }
        case .kept(let base):
            if parallel && jobs > 1 {
                BLASThreads.singleThreaded { Parallel.forEach(jobs) { attend($0, base + $0 * t * t) } }
            } else {
                for job in 0..<jobs { attend(job, base + job * t * t) }
            }
        }
    }

    package func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        _Kernels.softmaxRows(x, rows: rows, n: n)
    }

    package func activation(_ activation: Activation, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .quickGELU: _Kernels.quickGELU(src, dst, count: count, parallel: parallel)
        case .gelu: _Kernels.gelu(src, dst, count: count, parallel: parallel)
        }
    }

    package func fillRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        _Kernels.fillRows(dst, rows: rows, width: width, bias: bias, parallel: parallel)
    }

    package func addRows(_ dst: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, bias: UnsafePointer<Float>) {
        _Kernels.addRows(dst, rows: rows, width: width, stride: stride, bias: bias, parallel: parallel)
    }

    package func copyRows(_ rows: Int, width: Int, from src: UnsafePointer<Float>, stride: Int, to dst: UnsafeMutablePointer<Float>) {
        guard UnsafePointer(dst) != src else { return }
        if stride == width { dst.update(from: src, count: rows * width); return }
        for r in 0..<rows { (dst + r * stride).update(from: src + r * stride, count: width) }
    }

    package func zero(_ x: UnsafeMutablePointer<Float>, count: Int) {
        x.update(repeating: 0, count: count)
    }

    package func accumulate(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] += src[i] }
    }

    package func im2col(pixels: UnsafePointer<Float>, images n: Int, imageSize s: Int, patchSize p: Int,
                        into patches: UnsafeMutablePointer<Float>) {
        let g = s / p, g2 = g * g, kdim = 3 * p * p
        _Kernels.split(n * g, parallel: parallel) { job in
            let img = job / g, gy = job % g
            let src = pixels + img * 3 * s * s
            for gx in 0..<g {
                let dst = patches + ((img * g2) + gy * g + gx) * kdim
                for c in 0..<3 {
                    for ky in 0..<p {
                        (dst + (c * p + ky) * p).update(from: src + c * s * s + (gy * p + ky) * s + gx * p, count: p)
                    }
                }
            }
        }
    }

    package func embedTokens(patchRows: UnsafePointer<Float>, classEmbedding cls: UnsafePointer<Float>,
                             positional pos: UnsafePointer<Float>, images n: Int, tokens t: Int, width w: Int,
                             into x: UnsafeMutablePointer<Float>) {
        _Kernels.split(n, parallel: parallel) { img in
            let xi = x + img * t * w
            for j in 0..<w { xi[j] = cls[j] + pos[j] }
            for tok in 1..<max(t, 1) {
                let d = xi + tok * w, e = patchRows + (img * (t - 1) + tok - 1) * w, q = pos + tok * w
                for j in 0..<w { d[j] = e[j] + q[j] }
            }
        }
    }

    package func layerNormBackward(rows: Int, width: Int, x: UnsafePointer<Float>, xStride: Int, stats: LayerNormStats,
                                   gamma: UnsafePointer<Float>, dy: UnsafePointer<Float>, dyStride: Int,
                                   dx: UnsafeMutablePointer<Float>, dxStride: Int,
                                   dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>) {
        _BackwardKernels.layerNorm(rows: rows, width: width, x: x, xStride: xStride, mean: stats.mean, rstd: stats.rstd,
                                   gamma: gamma, dy: dy, dyStride: dyStride, dx: dx, dxStride: dxStride,
                                   dGamma: dGamma, dBeta: dBeta)
    }

    package func activationBackward(_ activation: Activation, x: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, count: Int) {
        _BackwardKernels.activation(activation, x: x, d: d, count: count)
    }

    package func softmaxBackward(probs: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int, n: Int, scale: Float) {
        _BackwardKernels.softmax(probs: probs, grad: grad, rows: rows, n: n, scale: scale)
    }

    package func addColumnSums(rows: Int, width: Int, src: UnsafePointer<Float>, stride: Int, dst: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let s = src + r * stride
            for j in 0..<width { dst[j] += s[j] }
        }
    }
}
