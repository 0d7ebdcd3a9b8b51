import Foundation
import Checkpoints
import Tensors

/// Streaming model merging and LiNeS editing with the reference's exact semantics.
///
/// Every entry point streams the checkpoints tensor by tensor (in chunks, over memory-mapped
/// inputs) in as many passes as the global quantities need, and writes the output as it is
/// produced; memory stays at a few chunks plus one output tensor, whatever T is.
///
/// | Method | Passes |
/// |---|---|
/// | sum / average | 1 |
/// | ties | 1/64 sample + 1 (exact k-th value in a window, + ‖Σ τ‖₁; 2 histogram passes if the window misses) + 1 (majority sign, + ‖τ_MTL‖₁ for LiNeS) + 1 (write) |
/// | ties (T ≤ 64) | 1/64 sample + 1 (k-th value, sign election, ‖τ_TIES‖₁; see ``_Engine/fusedTIES(percent:aggregation:)``) + 1 (write) |
/// | consensus | 1 (‖τ_MTL‖₁, LiNeS only) + 1 (write); + the TIES sample and pass with `useTies` |
///
/// ```swift
/// let inputs = try MergeInputs(pretrained: p, finetuned: tasks)
/// var options = MergeOptions(method: .ties)
/// options.lines = (alpha: nil, beta: 1.0)
/// let report = try Merger.merge(inputs, options: options, to: out)
/// ```
public enum Merger {
    /// Merges the task vectors and writes θ0 + λ·τ_MTL, θ0 + λ·LiNeS(τ_MTL), or only the scaled τ
    /// (`taskVectorOnly`) to `output` (safetensors, in θ0's dtype per tensor).
    ///
    /// For `mag-masking`, `output` is a folder that receives one model per task, `<task>.safetensors`.
    /// - Throws: ``MergeError`` for bad options (before reading any data), ``CheckpointError`` for
    ///   I/O; nothing is written on failure.
    public static func merge(_ inputs: MergeInputs, options: MergeOptions, to output: URL,
                             progress: MergeProgress? = nil) throws -> MergeReport {
        try options.validate(taskCount: inputs.taskCount)
        try OutputSafety.check(output: output, inputs: [inputs.pretrained.url] + inputs.finetuned.map(\.url))
        _Stream.mark("merge starts")
        let T = inputs.taskCount
        let d = inputs.parameterCount
        let recipe = MergeMethodRegistry.unit(for: options.method).recipe(options, taskCount: T)
        var alignedMasks: TallMasks?
        if case let .merged(_, .masks(given, _)) = recipe.write {
            alignedMasks = try given.aligned(to: inputs.taskNames, parameters: d, file: "the given mask file")
        }
        let map: LayerMap? = options.lines == nil ? nil : try inputs.layerMap(pattern: options.layerPattern)
        let engine = _Engine(inputs: inputs, progress: progress)
        if let k = options.kernels { engine.kernels = min(k, MergeKernels.supported) }
        var report = MergeReport(method: options.method.rawValue, tasks: inputs.taskNames, parameterCount: d)
        report.coefficient = options.coefficient

        // Pass(es) 1: the global selection (top-k thresholds, TIES's sign), with the norms LiNeS
        // needs when they come for free.
        let alphaFromNorms = options.lines != nil && options.lines?.alpha == nil && recipe.alpha == .normRatio
        var thresholds = [Float](repeating: 0, count: T)
        var majority: Float = 0
        var normSummed: Double?
        var fusedNorm: Double?
        switch recipe.selection {
        case .none:
            break
        case let .ties(percent, aggregation):
            // ‖τ_MTL‖₁ comes with the sign election when no consensus mask follows.
            var plain = false
            if case .merged(_, .none) = recipe.write { plain = true }
            report.k = percent
            let g = try engine.tiesGlobals(percent: percent, aggregation: aggregation, fused: !options.streamingTIES,
                                           normSummed: alphaFromNorms, normMerged: alphaFromNorms && plain)
            (thresholds, majority) = (g.kth, g.majority)
            report.record(g, parameters: d)
            normSummed = g.normSummed
            fusedNorm = g.normMerged
        case let .magnitude(percent):
            report.k = percent
            let sel = try engine.selectThresholds(percent: percent, normSummed: alphaFromNorms)
            thresholds = sel.kth
            report.thresholds = sel.kth
            report.keptFraction = sel.kept.map { d > 0 ? Double($0) / Double(d) : 0 }
            normSummed = sel.normSummed
        }
        _Stream.mark("global quantities found")
        if case let .perTensor(method) = recipe.write {
            return try mergePerTensor(method, inputs: inputs, options: options, recipe: recipe, map: map, engine: engine,
                                      report: report, to: output)
        }
        let kth = _Thresholds(thresholds)

        guard case let .merged(base, consensusSource) = recipe.write else {
            return try engine.writePerTaskMasked(thresholds: kth, coefficient: recipe.coefficient,
                                                 taskVectorOnly: options.taskVectorOnly, to: output, report: report)
        }
        var kernel = _MultiTaskKernel(base: base, consensus: .none, taskCount: T, kth: kth, majority: majority)
        kernel.kernels = engine.kernels
        let lambdas = UnsafeMutablePointer<Float>.allocate(capacity: T)
        defer { lambdas.deallocate() }
        var maskBits: UnsafeMutablePointer<UInt8>?
        defer { maskBits?.deallocate() }
        switch consensusSource {
        case .none:
            break
        case let .masks(given, threshold):
            let masks = alignedMasks ?? given
            let stride = TallMasks.packedCount(parameters: d)
            let bits = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, stride * T))
            for t in 0..<T { masks.packed[t].withUnsafeBufferPointer { p in if let b = p.baseAddress { (bits + t * stride).update(from: b, count: stride) } } }
            maskBits = bits
            kernel.consensus = .masks(bits: bits, stride: stride, threshold: threshold)
        case let .tall(values, threshold):
            for t in 0..<T { lambdas[t] = Float(values.count == 1 ? values[0] : values[t]) }
            kernel.consensus = .tall(lambdas: lambdas, threshold: threshold)
        }

        // The LiNeS schedule: α given, 1/T, or the norm ratio (one more pass unless found above).
        var schedule: LinesSchedule?
        if let lines = options.lines, let map {
            var alpha = lines.alpha
            if alpha == nil {
                switch recipe.alpha {
                case .inverseTaskCount:
                    alpha = 1 / Double(T)
                case .normRatio:
                    var normMerged: Double
                    if let fusedNorm, normSummed != nil {
                        normMerged = fusedNorm
                    } else {
                        let norms = try engine.norms(kernel: kernel, summed: normSummed == nil)
                        normSummed = normSummed ?? norms.summed
                        normMerged = norms.merged
                    }
                    report.normMerged = normMerged
                    alpha = LinesSchedule.mergingAlpha(normSummed: normSummed ?? 0, normMerged: normMerged, taskCount: T)
                }
            }
            schedule = LinesSchedule(alpha: alpha ?? 1 / Double(T), beta: lines.beta, layerCount: map.layerCount)
        }
        report.normSummed = normSummed
        report.schedule = schedule
        let coefficient = recipe.coefficient
        let scale = { (key: String) -> (Float, Float?) in
            if options.unscaledOutput { return (1, nil) }
            guard let schedule, let map else { return (Float(coefficient), nil) }
            return (Float(schedule.lambda(forKey: key, in: map)), coefficient == 1 ? nil : Float(coefficient))
        }
        // The write pass.
        let stats = try engine.write(kernel: kernel, to: output, taskVectorOnly: options.taskVectorOnly, scale: scale)
        _Stream.mark("output committed")
        report.nonZeroFraction = d > 0 ? Double(stats.nonZero) / Double(d) : 0
        if case .none = consensusSource {} else { report.consensusFraction = d > 0 ? Double(stats.kept) / Double(d) : 0 }
        report.outputs = [output]
        return report
    }

    /// Single-task LiNeS editing (spec §1.2): writes θ0 + c·LiNeS(τ; α, β) for the one task in `inputs`.
    ///
    /// With `gamma`, α = γ and β = 1 − γ. `taskVectorOnly` writes c·LiNeS(τ) alone.
    /// - Throws: ``MergeError`` when `inputs` has more than one task or no residual blocks are found.
    public static func edit(_ inputs: MergeInputs, schedule alphaBeta: (alpha: Double, beta: Double), coefficient: Double = 1,
                            layerPattern: String? = nil, taskVectorOnly: Bool = false, to output: URL,
                            progress: MergeProgress? = nil) throws -> MergeReport {
        guard inputs.taskCount == 1 else {
            throw MergeError.invalidOption("lines edit takes exactly one fine-tuned checkpoint; got \(inputs.taskCount) (use lines merge for several)")
        }
        var options = MergeOptions(method: .sum)
        options.lines = (alpha: alphaBeta.alpha, beta: alphaBeta.beta)
        options.coefficient = coefficient
        options.layerPattern = layerPattern
        options.taskVectorOnly = taskVectorOnly
        var report = try merge(inputs, options: options, to: output, progress: progress)
        report.method = "edit"
        return report
    }

    /// Builds TALL masks (spec §2.2, `tallmask_utils.py`): m_t = 1[|θ0 − θ_t| > λ_t·|θ0 + τ_MTL − θ_t|],
    /// τ_MTL = Σ τ_t or, with `useTies`, TIES (k = 20, disjoint sum).
    /// - Parameter lambdas: one λ for all tasks, or one per task.
    public static func tallMasks(_ inputs: MergeInputs, lambdas: [Double], useTies: Bool,
                                 progress: MergeProgress? = nil) throws -> (masks: TallMasks, report: MergeReport) {
        let T = inputs.taskCount
        let d = inputs.parameterCount
        guard lambdas.count == 1 || lambdas.count == T else { throw MergeError.tallLambdaCount(given: lambdas.count, tasks: T) }
        if let bad = lambdas.first(where: { !$0.isFinite }) {
            throw MergeError.invalidOption("--tall-lambda must be finite numbers; got \(bad)")
        }
        let engine = _Engine(inputs: inputs, progress: progress)
        var report = MergeReport(method: useTies ? "tall-masks (ties)" : "tall-masks", tasks: inputs.taskNames, parameterCount: d)
        var kth = [Float](repeating: 0, count: T)
        var majority: Float = 0
        if useTies {
            report.k = 20
            let g = try engine.tiesGlobals(percent: 20, aggregation: .sum, fused: true, normSummed: false, normMerged: false)
            (kth, majority) = (g.kth, g.majority)
            report.record(g, parameters: d)
        }
        let kernel = _MultiTaskKernel(base: useTies ? .ties(.sum) : .sum, consensus: .none, taskCount: T,
                                kth: _Thresholds(kth), majority: majority)
        let lam = (0..<T).map { Float(lambdas.count == 1 ? lambdas[0] : lambdas[$0]) }
        let masks = try engine.tallMasks(kernel: kernel, lambdas: lam)
        report.maskFraction = (0..<T).map { d > 0 ? Double(masks.onCount(task: $0, parameters: d)) / Double(d) : 0 }
        return (masks, report)
    }
}

extension MergeReport {
    /// Records TIES's global quantities (thresholds, kept fractions, majority sign).
    mutating func record(_ g: _Engine.TIESGlobals, parameters d: Int) {
        thresholds = g.kth
        keptFraction = g.kept.map { d > 0 ? Double($0) / Double(d) : 0 }
        majoritySign = g.majority
        fusedTIES = g.fused
    }
}
