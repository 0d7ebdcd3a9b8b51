import CLIP
import Tensors

/// Frozen heads for models without a text tower (tiny-model mode, tests).
public enum RandomHead {
    /// A head of `classes` random unit class vectors (Gaussian directions, seeded) times
    /// `logitScale` and zero bias: the shape of a zero-shot head (`100 · cos`) without text.
    public static func make(classes: Int, dim: Int, seed: UInt64, logitScale: Float = 100) throws -> ClassificationHead {
        var rng = SeededRandom(seed: seed, 0x4EAD)
        var w = [Float](repeating: 0, count: classes * dim)
        for c in 0..<classes {
            var sq = 0.0
            for j in 0..<dim { let v = rng.normal(); w[c * dim + j] = Float(v); sq += v * v }
            let inv = Float(1 / max(sq.squareRoot(), 1e-12)) * logitScale
            for j in 0..<dim { w[c * dim + j] *= inv }
        }
        return try ClassificationHead(weight: Tensor(shape: [classes, dim], scalars: w), source: "random head (seed \(seed))")
    }
}
