import Foundation

/// Cross-entropy with optional label smoothing, as `torch.nn.functional.cross_entropy(...,
/// label_smoothing: ε)` and the reference's `LabelSmoothing` (identical):
/// `loss = (1 − ε) · (−log p_y) + ε · mean_j(−log p_j)`, so `∂loss/∂z = softmax(z) − (1 − ε) e_y − ε / C`.
public enum CrossEntropy {
    /// The loss of one row of logits and its gradient (written into `grad`, scaled by `scale`).
    /// - Returns: the loss (unscaled), in `Double`.
    @discardableResult
    public static func loss(logits z: UnsafePointer<Float>, classes: Int, label: Int, smoothing eps: Double,
                            scale: Float = 1, grad: UnsafeMutablePointer<Float>?) -> Double {
        var mx = -Double.infinity
        for j in 0..<classes { mx = max(mx, Double(z[j])) }
        var sum = 0.0
        for j in 0..<classes { sum += Foundation.exp(Double(z[j]) - mx) }
        let logSum = mx + Foundation.log(sum)
        var meanNegLog = 0.0
        for j in 0..<classes { meanNegLog += logSum - Double(z[j]) }
        meanNegLog /= Double(classes)
        let nll = logSum - Double(z[label])
        if let grad {
            for j in 0..<classes {
                var g = Foundation.exp(Double(z[j]) - logSum) - eps / Double(classes)
                if j == label { g -= 1 - eps }
                grad[j] = Float(g) * scale
            }
        }
        return (1 - eps) * nll + eps * meanNegLog
    }
}
