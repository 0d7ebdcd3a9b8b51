import Foundation
import Checkpoints

extension Merger {
    /// The merges computed tensor by tensor from the whole τ_t (``MergeRecipe/Write/perTensor(_:)``).
    ///
    /// Without LiNeS, or with α given, or for `unscaledOutput`: one pass. With LiNeS and α from
    /// the norm ratio (‖τ_MTL‖₁ is known only once every tensor is merged): the unscaled τ_MTL goes
    /// to a temporary F32 file beside the output, then θ0 + λ_key·τ_MTL is written from it; the
    /// temporary file is removed whatever happens (see `TemporaryFiles`).
    static func mergePerTensor(_ method: any TaskVectorTensorMerge, inputs: MergeInputs, options: MergeOptions,
                               recipe: MergeRecipe, map: LayerMap?, engine: _Engine, report: MergeReport,
                               to output: URL) throws -> MergeReport {
        var report = report
        let T = inputs.taskCount
        let d = inputs.parameterCount
        let coefficient = recipe.coefficient
        let outer: Float? = coefficient == 1 ? nil : Float(coefficient)
        func finish(_ stats: _Engine.PerTensorStats, nonZero: Int) -> MergeReport {
            report.normSummed = stats.normSummed
            report.normMerged = stats.normMerged
            report.nonZeroFraction = d > 0 ? Double(nonZero) / Double(d) : 0
            report.outputs = [output]
            return report
        }
        guard let lines = options.lines, let map else {
            let stats = try engine.writePerTensor(method, seed: options.seed, to: output, taskVectorOnly: options.taskVectorOnly,
                                                  scale: { _ in options.unscaledOutput ? (1, nil) : (Float(coefficient), nil) })
            return finish(stats, nonZero: stats.nonZero)
        }
        if let alpha = lines.alpha {
            let schedule = LinesSchedule(alpha: alpha, beta: lines.beta, layerCount: map.layerCount)
            report.schedule = schedule
            let stats = try engine.writePerTensor(method, seed: options.seed, to: output, taskVectorOnly: options.taskVectorOnly) { key in
                options.unscaledOutput ? (1, nil) : (Float(schedule.lambda(forKey: key, in: map)), outer)
            }
            return finish(stats, nonZero: stats.nonZero)
        }
        if options.unscaledOutput {
            let stats = try engine.writePerTensor(method, seed: options.seed, to: output, taskVectorOnly: options.taskVectorOnly,
                                                  scale: { _ in (1, nil) })
            let alpha = LinesSchedule.mergingAlpha(normSummed: stats.normSummed, normMerged: stats.normMerged, taskCount: T)
            report.schedule = LinesSchedule(alpha: alpha, beta: lines.beta, layerCount: map.layerCount)
            return finish(stats, nonZero: stats.nonZero)
        }
        // Named as every temporary output is (removed on SIGINT/SIGTERM/SIGHUP, and by the next
        // run when a kill -9 left it).
        TemporaryFiles.removeStale(next: output)
        let temporary = TemporaryFiles.sibling(of: output).appendingPathExtension("safetensors")
        TemporaryFiles.register(temporary)
        defer {
            try? FileManager.default.removeItem(at: temporary)
            TemporaryFiles.unregister(temporary)
        }
        let stats = try engine.writePerTensor(method, seed: options.seed, to: temporary, taskVectorOnly: true, asF32: true,
                                              scale: { _ in (1, nil) })
        let alpha = LinesSchedule.mergingAlpha(normSummed: stats.normSummed, normMerged: stats.normMerged, taskCount: T)
        let schedule = LinesSchedule(alpha: alpha, beta: lines.beta, layerCount: map.layerCount)
        report.schedule = schedule
        let tau = try Checkpoint.open(temporary)
        let nonZero = try engine.writeScaled(tau: tau, to: output, taskVectorOnly: options.taskVectorOnly) { key in
            (Float(schedule.lambda(forKey: key, in: map)), outer)
        }
        return finish(stats, nonZero: nonZero)
    }
}
