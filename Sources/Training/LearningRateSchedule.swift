import Foundation

/// The reference's `cosine_lr` (task_vectors / LiNeS `src/utils.py`): linear warmup, then a
/// cosine from the base rate to 0.
///
/// For optimizer step `s` (from 0): `base · (s + 1) / warmup` while `s < warmup`, else
/// `½ (1 + cos(π (s − warmup) / (total − warmup))) · base`. When `total ≤ warmup` the cosine
/// length is taken as 1 (the reference would divide by zero).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// Base learning rate (1e-5 in the reference).
    public var base: Double
    /// Warmup steps (500 in the reference).
    public var warmup: Int
    /// Total optimizer steps (`epochs · batches / accumulation`).
    public var total: Int

    /// A schedule.
    public init(base: Double, warmup: Int, total: Int) {
        self.base = base
        self.warmup = warmup
        self.total = total
    }

    /// The learning rate of optimizer step `step` (from 0).
    public func rate(at step: Int) -> Double {
        if step < warmup { return base * Double(step + 1) / Double(warmup) }
        let e = Double(step - warmup), es = Double(max(1, total - warmup))
        return 0.5 * (1 + Foundation.cos(Double.pi * e / es)) * base
    }
}
