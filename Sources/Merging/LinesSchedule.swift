import Checkpoints

/// The LiNeS layer-scaling schedule: a scale per key that grows linearly with block depth.
///
/// Block `i` of `L` gets λ = α + β · i / (L − 1); every key outside the residual blocks (embeddings,
/// final norm, projection) gets α (`src/eval/eval.py::LiNeS_scaling`). With L = 1 the only block
/// gets α (the reference divides by zero there).
public struct LinesSchedule: Sendable, Equatable {
    /// α in the paper: the scale of the first block and of every non-block key.
    public var alpha: Double
    /// β in the paper: the extra scale of the last block over the first.
    public var beta: Double
    /// L in the paper: the number of residual blocks.
    public var layerCount: Int

    /// Creates a schedule from α, β and L.
    public init(alpha: Double, beta: Double, layerCount: Int) {
        self.alpha = alpha
        self.beta = beta
        self.layerCount = layerCount
    }

    /// Single-task editing (paper §1.2): α = γ, β = 1 − γ, so the last block keeps the full update.
    public static func editing(gamma: Double, layerCount: Int) -> LinesSchedule {
        LinesSchedule(alpha: gamma, beta: 1 - gamma, layerCount: layerCount)
    }

    /// λ of block `i` (0-based): α + β · i / (L − 1).
    public func lambda(block i: Int) -> Double {
        guard layerCount > 1 else { return alpha }
        return alpha + beta * Double(i) / Double(layerCount - 1)
    }

    /// λ of a key: its block's λ, or α outside the blocks.
    public func lambda(forKey key: String, in map: LayerMap) -> Double {
        map.block(of: key).map(lambda(block:)) ?? alpha
    }

    /// The per-block λ list, first block first.
    public var blockLambdas: [Double] { (0..<layerCount).map(lambda(block:)) }

    /// α for merging by norm matching: ‖Σ_t τ̃_t‖₁ / (T · ‖τ_MTL‖₁), computed as (ratio) / T so
    /// that equal norms give exactly 1/T. Returns 1/T when τ_MTL is zero.
    ///
    /// The reference takes both norms as torch float32 sums (`x.abs().sum().item()`) and divides
    /// in double, so each norm is rounded to `Float` here first: the float32 nearest the exact sum
    /// (the norms come in accurate to double precision). Torch's own float32 sum differs from that
    /// by 0–2 ulps, and by thread count (its slices depend on `torch.get_num_threads()`), so α
    /// matches the reference's to within 4 float32 ulps (2.4e-7 relative); `Tests/MergingTests`
    /// pins the bound.
    public static func mergingAlpha(normSummed: Double, normMerged: Double, taskCount: Int) -> Double {
        let summed = Double(Float(normSummed)), merged = Double(Float(normMerged))
        let ratio = merged > 0 ? summed / merged : 1
        return ratio / Double(taskCount)
    }
}
