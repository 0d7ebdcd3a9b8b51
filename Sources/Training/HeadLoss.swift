import CLIP
import Foundation

/// The frozen zero-shot head and the loss on top of the encoder: `logits = W · f/‖f‖ + b`
/// (the reference's `ClassificationHead(normalize=True)`, F.normalize eps 1e-12), then
/// ``CrossEntropy``. Gives ∂loss/∂features; the head itself gets no gradient (`freeze_head`).
struct HeadLoss {
    let weight: [Float]   // [C, D]
    let bias: [Float]     // [C]
    let classes: Int
    let dim: Int
    let smoothing: Double

    init(head: ClassificationHead, smoothing: Double) {
        weight = head.weight.scalars
        bias = head.bias.scalars
        classes = head.classCount
        dim = head.inputDim
        self.smoothing = smoothing
    }

    /// Loss of `n` feature rows against `labels`, writing `scale · ∂loss/∂features` into `dFeatures`.
    /// - Returns: the summed (unscaled) loss and the number of rows whose arg-max logit is the label.
    func apply(features f: UnsafePointer<Float>, count n: Int, labels: ArraySlice<Int>,
               scale: Float, dFeatures: UnsafeMutablePointer<Float>?) -> (loss: Double, correct: Int) {
        var total = 0.0, correct = 0
        var fn = [Float](repeating: 0, count: dim)
        var z = [Float](repeating: 0, count: classes)
        var dz = [Float](repeating: 0, count: classes)
        var lbl = labels.startIndex
        for i in 0..<n {
            let row = f + i * dim
            var sq: Float = 0
            for j in 0..<dim { sq += row[j] * row[j] }
            let norm = max(sq.squareRoot(), 1e-12)
            for j in 0..<dim { fn[j] = row[j] / norm }
            var best = 0
            for cl in 0..<classes {
                var s = bias[cl]
                let wr = cl * dim
                for j in 0..<dim { s += weight[wr + j] * fn[j] }
                z[cl] = s
                if s > z[best] { best = cl }
            }
            let y = labels[lbl]
            lbl += 1
            if best == y { correct += 1 }
            total += z.withUnsafeBufferPointer { zp in
                dz.withUnsafeMutableBufferPointer { dp in
                    guard let zb = zp.baseAddress else { return 0 }
                    return CrossEntropy.loss(logits: zb, classes: classes, label: y, smoothing: smoothing,
                                             scale: scale, grad: dFeatures == nil ? nil : dp.baseAddress)
                }
            }
            guard let dFeatures else { continue }
            // ∂/∂fn = dzᵀ W; ∂/∂f = (dfn − fn (fn · dfn)) / ‖f‖ (plain dfn / eps when clamped).
            let out = dFeatures + i * dim
            for j in 0..<dim { out[j] = 0 }
            for cl in 0..<classes {
                let g = dz[cl], wr = cl * dim
                for j in 0..<dim { out[j] += g * weight[wr + j] }
            }
            if sq.squareRoot() > 1e-12 {
                var dot: Float = 0
                for j in 0..<dim { dot += fn[j] * out[j] }
                for j in 0..<dim { out[j] = (out[j] - fn[j] * dot) / norm }
            } else {
                for j in 0..<dim { out[j] /= norm }
            }
        }
        return (total, correct)
    }
}
