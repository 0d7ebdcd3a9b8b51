import Foundation
import Tensors

/// `torch.optim.AdamW` (single parameter group, `amsgrad=False`, `maximize=False`) over a flat
/// parameter buffer.
///
/// Per step t (from 1), for every parameter θ with gradient g, as PyTorch's single-tensor
/// implementation: `θ ← θ (1 − lr·λ)`; `m ← β₁ m + (1 − β₁) g`; `v ← β₂ v + (1 − β₂) g²`;
/// `θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`. Weight decay λ applies to every
/// parameter (the reference passes all trainable encoder parameters in one group).
public final class AdamW: @unchecked Sendable {
    /// Hyper-parameters.
    public struct Settings: Sendable, Equatable, Codable {
        /// Decoupled weight decay λ (0.1 in the reference).
        public var weightDecay: Double = 0.1
        /// β₁.
        public var beta1: Double = 0.9
        /// β₂.
        public var beta2: Double = 0.999
        /// ε.
        public var eps: Double = 1e-8
        /// The reference's (PyTorch's) defaults with λ = 0.1.
        public init(weightDecay: Double = 0.1, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8) {
            self.weightDecay = weightDecay
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
        }
    }

    /// Hyper-parameters.
    public let settings: Settings
    /// First moments m.
    public let firstMoment: ParameterBuffer
    /// Second moments v.
    public let secondMoment: ParameterBuffer
    /// Steps taken so far (t of the last step).
    public var step: Int = 0

    /// Zero moments for `count` parameters.
    public init(count: Int, settings: Settings = Settings()) {
        self.settings = settings
        firstMoment = ParameterBuffer(count: count)
        secondMoment = ParameterBuffer(count: count)
    }

    /// One update of `weights` by `gradient` at learning rate `lr`.
    public func update(_ weights: ParameterBuffer, gradient: ParameterBuffer, lr: Double) {
        precondition(weights.count == gradient.count && weights.count == firstMoment.count, "AdamW: buffer sizes differ")
        step += 1
        let s = settings, t = Double(step)
        let b1 = Float(s.beta1), b2 = Float(s.beta2)
        let decay = Float(1 - lr * s.weightDecay)
        let stepSize = Float(lr / (1 - Foundation.pow(s.beta1, t)))
        let bc2Sqrt = Float((1 - Foundation.pow(s.beta2, t)).squareRoot())
        let eps = Float(s.eps)
        let p = weights.pointer, g = UnsafePointer(gradient.pointer), m = firstMoment.pointer, v = secondMoment.pointer
        typealias V = SIMD8<Float>
        Parallel.forRanges(count: weights.count, minChunk: 1 << 15) { r in
            var i = r.lowerBound
            let vd = V(repeating: decay), vb1 = V(repeating: 1 - b1), vb2 = V(repeating: b2), vb2c = V(repeating: 1 - b2)
            let vbc = V(repeating: bc2Sqrt), veps = V(repeating: eps), vstep = V(repeating: stepSize)
            while i + 8 <= r.upperBound {
                let gi = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
                var pi = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
                var mi = UnsafeRawPointer(m + i).loadUnaligned(as: V.self)
                var vi = UnsafeRawPointer(v + i).loadUnaligned(as: V.self)
                pi *= vd
                mi += (gi - mi) * vb1
                vi = vi * vb2 + vb2c * gi * gi
                pi -= vstep * (mi / (vi.squareRoot() / vbc + veps))
                UnsafeMutableRawPointer(p + i).storeBytes(of: pi, as: V.self)
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: V.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: V.self)
                i += 8
            }
            while i < r.upperBound {
                p[i] *= decay
                m[i] += (g[i] - m[i]) * (1 - b1)
                v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                p[i] -= stepSize * (m[i] / (v[i].squareRoot() / bc2Sqrt + eps))
                i += 1
            }
        }
    }
}
