import Foundation

/// mergekit's `nuslerp` (`merge_methods/nuslerp.py`): spherical interpolation between exactly two
/// models at t = w₂ / (w₁ + w₂) (0.5 when the weights sum to ~0), over the whole tensor
/// (`nuslerp_flatten`, the default), its rows, or with `nuslerp_row_wise` its columns (vectors
/// along the first dimension). With a `base_model` it interpolates the two task vectors and adds
/// the base; without one, the models themselves. Vectors are normalised with norms clamped at
/// 1e-7; nearly collinear ones (1 − cos² ≤ 1e-16) are interpolated linearly.
public struct NuSlerpTensorMerge: TensorMergeMethod {
    public let name = "nuslerp"
    public let summary = "spherical interpolation of two models (of their task vectors, with a base) at t = w₂/(w₁+w₂)"
    public let needsBase = false
    public let usesBase = true
    public let sharedParameters: [String: Double?] = ["nuslerp_flatten": 1, "nuslerp_row_wise": 0]
    public let modelParameters: [String: Double?] = ["weight": nil]
    public let mergesTaskVectors = true
    public var modelCount: Int? { 2 }

    public init() {}

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard input.models.count == 2 else { throw .invalidOption("nuslerp merges exactly 2 models besides the base") }
        let w0 = input.parameter("weight", model: 0), w1 = input.parameter("weight", model: 1)
        let total = w0 + w1
        let t = Float(abs(total) < 1e-6 ? 0.5 : w1 / total)
        var v0 = input.models[0], v1 = input.models[1]
        let n = v0.count
        if let base = input.base {
            for j in 0..<n { v0[j] -= base[j]; v1[j] -= base[j] }
        }
        // The vectors: the whole tensor, or along the last (rows) or first dimension.
        let shape = input.shape
        let length: Int, stride: Int
        if input.flag("nuslerp_flatten") || shape.count < 2 {
            (length, stride) = (n, 1)
        } else if input.flag("nuslerp_row_wise") {
            (length, stride) = (shape[0], n / max(1, shape[0]))
        } else {
            (length, stride) = (shape[shape.count - 1], 1)
        }
        var out = [Float](repeating: 0, count: n)
        guard length > 0 else { return input.base ?? out }
        let count = n / length
        for v in 0..<count {
            // Vector v's entries: start + i·stride.
            let start = stride == 1 ? v * length : v
            var n0 = 0.0, n1 = 0.0
            for i in 0..<length {
                let a = Double(v0[start + i * stride]), b = Double(v1[start + i * stride])
                n0 += a * a
                n1 += b * b
            }
            let d0 = max(Float(n0.squareRoot()), 1e-7), d1 = max(Float(n1.squareRoot()), 1e-7)
            var dot = 0.0
            for i in 0..<length { dot += Double(v0[start + i * stride] / d0) * Double(v1[start + i * stride] / d1) }
            let cos = min(1, max(-1, Float(dot)))
            let colinear = 1 - cos * cos <= 1e-16
            let theta = acosf(colinear ? 0 : cos), s = sinf(theta)
            let a = sinf((1 - t) * theta), b = sinf(t * theta)
            for i in 0..<length {
                let j = start + i * stride
                out[j] = colinear ? (1 - t) * v0[j] + t * v1[j] : (a * v0[j] + b * v1[j]) / s
            }
        }
        if let base = input.base { for j in 0..<n { out[j] += base[j] } }
        return out
    }
}
