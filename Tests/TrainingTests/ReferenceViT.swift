import CLIP
import Foundation
@testable import Training

/// A plain Float64 implementation of the tiny ViT forward pass and the frozen-head loss, written
/// independently of the library's kernels, for finite-difference checks.
struct ReferenceViT {
    let config: VisionTransformerConfig
    let layout: ParameterLayout

    init(config: VisionTransformerConfig) {
        self.config = config
        layout = ParameterLayout(config: config)
    }

    static func layerNorm(_ x: [Double], _ g: ArraySlice<Double>, _ b: ArraySlice<Double>) -> [Double] {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let inv = 1 / (variance + 1e-5).squareRoot()
        return x.indices.map { (x[$0] - mean) * inv * g[g.startIndex + $0] + b[b.startIndex + $0] }
    }

    static func activation(_ a: Activation, _ x: Double) -> Double {
        switch a {
        case .quickGELU: return x / (1 + exp(-1.702 * x))
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        }
    }

    static func softmax(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// `y = W x + b` for W [out, in] at `w`, b at `b`.
    static func linear(_ x: [Double], _ p: [Double], w: Int, b: Int, out: Int) -> [Double] {
        (0..<out).map { o in
            var s = p[b + o]
            for i in 0..<x.count { s += p[w + o * x.count + i] * x[i] }
            return s
        }
    }

    /// Features of one image `[3, S, S]`.
    func features(_ p: [Double], image: ArraySlice<Double>) -> [Double] {
        let c = config, w = c.width, t = c.tokens, g = c.gridSize, ps = c.patchSize, s = c.imageSize, L = layout
        let base = image.startIndex
        var x = [[Double]](repeating: [Double](repeating: 0, count: w), count: t)
        for j in 0..<w { x[0][j] = p[L.classEmbedding + j] }
        for gy in 0..<g {
            for gx in 0..<g {
                for o in 0..<w {
                    var acc = 0.0
                    for ch in 0..<3 { for ky in 0..<ps { for kx in 0..<ps {
                        acc += p[L.conv + ((o * 3 + ch) * ps + ky) * ps + kx] * image[base + ch * s * s + (gy * ps + ky) * s + gx * ps + kx]
                    } } }
                    x[1 + gy * g + gx][o] = acc
                }
            }
        }
        for tok in 0..<t { for j in 0..<w { x[tok][j] += p[L.positional + tok * w + j] } }
        x = x.map { Self.layerNorm($0, p[L.lnPreWeight..<(L.lnPreWeight + w)], p[L.lnPreBias..<(L.lnPreBias + w)]) }
        let h = c.heads, hd = c.headWidth
        for b in L.blocks {
            let y = x.map { Self.layerNorm($0, p[b.ln1Weight..<(b.ln1Weight + w)], p[b.ln1Bias..<(b.ln1Bias + w)]) }
            let qkv = y.map { Self.linear($0, p, w: b.inProjWeight, b: b.inProjBias, out: 3 * w) }
            var ctx = [[Double]](repeating: [Double](repeating: 0, count: w), count: t)
            for head in 0..<h {
                for i in 0..<t {
                    let scores = (0..<t).map { j in
                        (0..<hd).reduce(0.0) { $0 + qkv[i][head * hd + $1] * qkv[j][w + head * hd + $1] } / Double(hd).squareRoot()
                    }
                    let pr = Self.softmax(scores)
                    for d in 0..<hd { ctx[i][head * hd + d] = (0..<t).reduce(0.0) { $0 + pr[$1] * qkv[$1][2 * w + head * hd + d] } }
                }
            }
            for i in 0..<t {
                let o = Self.linear(ctx[i], p, w: b.outProjWeight, b: b.outProjBias, out: w)
                for j in 0..<w { x[i][j] += o[j] }
            }
            for i in 0..<t {
                let y2 = Self.layerNorm(x[i], p[b.ln2Weight..<(b.ln2Weight + w)], p[b.ln2Bias..<(b.ln2Bias + w)])
                let hid = Self.linear(y2, p, w: b.fcWeight, b: b.fcBias, out: c.mlpWidth).map { Self.activation(c.activation, $0) }
                let o = Self.linear(hid, p, w: b.projWeight, b: b.projBias, out: w)
                for j in 0..<w { x[i][j] += o[j] }
            }
        }
        let pooled = Self.layerNorm(x[0], p[L.lnPostWeight..<(L.lnPostWeight + w)], p[L.lnPostBias..<(L.lnPostBias + w)])
        return (0..<c.outputDim).map { d in (0..<w).reduce(0.0) { $0 + pooled[$1] * p[L.proj + $1 * c.outputDim + d] } }
    }

    /// Mean smoothed cross-entropy of `W · normalize(f)` over the batch.
    static func loss(features f: [Double], head: [Double], classes: Int, label: Int, smoothing: Double) -> Double {
        let norm = max(f.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let z = (0..<classes).map { cl in (0..<f.count).reduce(0.0) { $0 + head[cl * f.count + $1] * f[$1] / norm } }
        let m = z.max() ?? 0
        let lse = m + log(z.reduce(0) { $0 + exp($1 - m) })
        let nll = lse - z[label]
        let smooth = z.reduce(0) { $0 + (lse - $1) } / Double(classes)
        return (1 - smoothing) * nll + smoothing * smooth
    }

    func meanLoss(_ p: [Double], pixels: [Double], labels: [Int], head: [Double], classes: Int, smoothing: Double) -> Double {
        let per = 3 * config.imageSize * config.imageSize
        var total = 0.0
        for (i, label) in labels.enumerated() {
            let f = features(p, image: pixels[(i * per)..<((i + 1) * per)])
            total += Self.loss(features: f, head: head, classes: classes, label: label, smoothing: smoothing)
        }
        return total / Double(labels.count)
    }
}
