import Tensors
import CLIP
import Foundation
import Testing
@testable import Training

/// Every backward pass against central finite differences of an independent Float64 forward
/// (h = 1e-5), on tiny shapes; the analytic gradients are the library's float32 kernels, so the
/// tolerance is float32's: max error ≤ 1e-3 of the largest gradient entry.
@Suite("backward passes against finite differences in Float64")
struct FiniteDifferenceTests {
    static let h = 1e-5
    /// The backend whose kernels the training passes run on.
    static let backend = CPUBackend(parallel: false)

    /// Float-representable random values, as Doubles.
    static func random(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in Double(Float(scale * rng.normal())) }
    }

    /// Central differences of `f` at `x` for every index in `indices`.
    static func numeric(_ f: ([Double]) -> Double, at x: [Double], indices: [Int]) -> [Double] {
        indices.map { i in
            var a = x, b = x
            a[i] += h
            b[i] -= h
            return (f(a) - f(b)) / (2 * h)
        }
    }

    static func check(_ analytic: [Double], _ numeric: [Double], _ what: String) {
        let scale = max(numeric.map(abs).max() ?? 0, 1e-12)
        let err = zip(analytic, numeric).map { abs($0 - $1) }.max() ?? 0
        #expect(err / scale <= 1e-3, "\(what): finite-difference error \(err / scale) of the largest entry")
    }

    @Test("LayerNorm: ∂/∂x, ∂/∂γ, ∂/∂β")
    func layerNorm() {
        let rows = 3, w = 10
        let x = Self.random(rows * w, seed: 1, scale: 2), g = Self.random(w, seed: 2), b = Self.random(w, seed: 3)
        let r = Self.random(rows * w, seed: 4)
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            var total = 0.0
            for row in 0..<rows {
                let y = ReferenceViT.layerNorm(Array(x[(row * w)..<((row + 1) * w)]), g[...], b[...])
                for j in 0..<w { total += r[row * w + j] * y[j] }
            }
            return total
        }
        let xf = x.map(Float.init), gf = g.map(Float.init), bf = b.map(Float.init), rf = r.map(Float.init)
        var y = [Float](repeating: 0, count: rows * w), stats = [Float](repeating: 0, count: 2 * rows)
        var dx = [Float](repeating: 0, count: rows * w), dg = [Float](repeating: 0, count: w), db = [Float](repeating: 0, count: w)
        stats.withUnsafeMutableBufferPointer { s in
            let saved = LayerNormStats(s.baseAddress!, rows: rows)
            Self.backend.layerNorm(rows: rows, width: w, src: xf, srcStride: w, dst: &y, dstStride: w, gamma: gf, beta: bf,
                                   stats: saved)
            Self.backend.layerNormBackward(rows: rows, width: w, x: xf, xStride: w, stats: saved,
                                           gamma: gf, dy: rf, dyStride: w, dx: &dx, dxStride: w, dGamma: &dg, dBeta: &db)
        }
        Self.check(dx.map(Double.init), Self.numeric({ loss($0, g, b) }, at: x, indices: Array(x.indices)), "LayerNorm dx")
        Self.check(dg.map(Double.init), Self.numeric({ loss(x, $0, b) }, at: g, indices: Array(g.indices)), "LayerNorm dγ")
        Self.check(db.map(Double.init), Self.numeric({ loss(x, g, $0) }, at: b, indices: Array(b.indices)), "LayerNorm dβ")
    }

    @Test("QuickGELU and GELU", arguments: Activation.allCases)
    func activation(_ a: Activation) {
        let x = Self.random(64, seed: 5, scale: 3), r = Self.random(64, seed: 6)
        let loss = { (x: [Double]) in zip(x, r).reduce(0.0) { $0 + ReferenceViT.activation(a, $1.0) * $1.1 } }
        var d = r.map(Float.init)
        let xf = x.map(Float.init)
        Self.backend.activationBackward(a, x: xf, d: &d, count: 64)
        Self.check(d.map(Double.init), Self.numeric(loss, at: x, indices: Array(x.indices)), "\(a) backward")
        var y = [Float](repeating: 0, count: 64)
        Self.backend.activation(a, src: xf, dst: &y, count: 64)
        for i in 0..<64 { #expect(abs(Double(y[i]) - ReferenceViT.activation(a, x[i])) <= 1e-5 * max(1, abs(x[i]))) }
    }

    @Test("scaled softmax of attention scores")
    func softmax() {
        let rows = 4, n = 7, scale = 0.35
        let s = Self.random(rows * n, seed: 7, scale: 2), r = Self.random(rows * n, seed: 8)
        let loss = { (s: [Double]) -> Double in
            var total = 0.0
            for row in 0..<rows {
                let p = ReferenceViT.softmax(s[(row * n)..<((row + 1) * n)].map { $0 * scale })
                for j in 0..<n { total += p[j] * r[row * n + j] }
            }
            return total
        }
        var p = s.map { Float($0 * scale) }
        Self.backend.softmaxRows(&p, rows: rows, n: n)
        var d = r.map(Float.init)
        Self.backend.softmaxBackward(probs: p, grad: &d, rows: rows, n: n, scale: Float(scale))
        Self.check(d.map(Double.init), Self.numeric(loss, at: s, indices: Array(s.indices)), "softmax backward")
    }

    @Test("cross-entropy with and without label smoothing", arguments: [0.0, 0.1])
    func crossEntropy(_ eps: Double) {
        let z = Self.random(6, seed: 9, scale: 3)
        var grad = [Float](repeating: 0, count: 6)
        let value = CrossEntropy.loss(logits: z.map(Float.init), classes: 6, label: 2, smoothing: eps, grad: &grad)
        let reference = { (z: [Double]) -> Double in
            let m = z.max() ?? 0
            let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
            return (1 - eps) * (lse - z[2]) + eps * z.reduce(0) { $0 + lse - $1 } / 6
        }
        #expect(abs(value - reference(z)) <= 1e-6)
        Self.check(grad.map(Double.init), Self.numeric(reference, at: z, indices: Array(z.indices)), "cross-entropy ε=\(eps)")
    }

    @Test("whole tiny ViT (patch conv, embeddings, fused-in_proj attention, linears, LayerNorms, head, smoothing 0.1)",
          arguments: Activation.allCases)
    func wholeModel(_ a: Activation) throws {
        let config = VisionTransformerConfig(width: 8, layers: 2, heads: 2, patchSize: 3, imageSize: 6, outputDim: 5, activation: a)
        let model = TrainableViT(config: config, seed: 11)
        // Non-trivial LayerNorm parameters and biases.
        var rng = SeededRandom(seed: 12)
        for e in model.layout.entries where e.name.contains("ln") || e.name.hasSuffix("bias") {
            for i in 0..<e.count { model.weights.pointer[e.offset + i] += Float(0.2 * rng.normal()) }
        }
        let reference = ReferenceViT(config: config)
        let n = 3, classes = 4
        let pixels = Self.random(n * 3 * 36, seed: 13)
        let labels = [0, 3, 1]
        let head = Self.random(classes * 5, seed: 14, scale: 3)
        let headModel = try ClassificationHead(weight: .init(shape: [classes, 5], scalars: head.map(Float.init)))
        let engine = try GradientEngine(model: model, head: headModel, labelSmoothing: 0.1, microBatch: 2, workers: 2)
        let grad = ParameterBuffer(count: model.layout.count)
        let (lossSum, _) = pixels.map(Float.init).withUnsafeBufferPointer {
            engine.accumulate(pixels: $0.baseAddress!, labels: labels[...], count: n, scale: 1 / Float(n), into: grad)
        }
        let theta = model.weights.array.map(Double.init)
        let f = { (p: [Double]) in reference.meanLoss(p, pixels: pixels, labels: labels, head: head, classes: classes, smoothing: 0.1) }
        #expect(abs(lossSum / Double(n) - f(theta)) <= 1e-5 * f(theta))
        for e in model.layout.entries {
            // Up to 6 entries per tensor, spread over it.
            let picks = Array(Set((0..<6).map { $0 * e.count / 6 })).sorted().map { e.offset + $0 }
            let numeric = Self.numeric(f, at: theta, indices: picks)
            let analytic = picks.map { Double(grad.pointer[$0]) }
            let scale = max(numeric.map(abs).max() ?? 0, 1e-7)
            let err = zip(analytic, numeric).map { abs($0 - $1) }.max() ?? 0
            #expect(err / scale <= 2e-3 || err <= 1e-6, "\(a) \(e.name): finite-difference error \(err) (scale \(scale))")
        }
    }
}
