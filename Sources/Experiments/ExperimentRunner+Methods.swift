import CLIP
import Checkpoints
import Datasets
import Foundation
import Merging

extension ExperimentRunner {
    /// What a method's run produces: the results document, the selected label, the masks it saved.
    typealias UnitResult = (document: JSONDocument, selected: String, masks: URL?)

    /// The inputs of the merge: θ0 and the fine-tuned models of `tasks`, named by task.
    func mergeInputs(_ plan: Plan, tasks: [TaskName]) throws -> MergeInputs {
        let checkpoints = try tasks.map { t -> TaskCheckpoint in
            guard let url = plan.finetuned[t] else {
                throw ExperimentError.missingFile(what: "the fine-tuned model of \(t.rawValue)", lookedFor: layout.finetunedCandidates(t).map(\.path))
            }
            return TaskCheckpoint(name: t.rawValue, url: url)
        }
        return try MergeInputs(pretrained: plan.zeroshot, finetuned: checkpoints)
    }

    /// Writes the unscaled τ_MTL of `options` to the work folder and opens it.
    func mergedTaskVector(_ inputs: MergeInputs, options: MergeOptions, name: String) throws -> (tau: any CheckpointReader, report: MergeReport) {
        var options = options
        options.taskVectorOnly = true
        if options.lines != nil { options.unscaledOutput = true }
        let url = workFolder.appendingPathComponent(name + ".safetensors")
        onEvent(.note("Merging \(inputs.taskCount) task vector(s): \(options.method.rawValue)…"))
        let report = try timed("merge") { try Merger.merge(inputs, options: options, to: url) }
        return (try Checkpoint.open(url), report)
    }

    /// `zeroshot` and the merge methods with one output model (`sum`, `average`, `ties`,
    /// `consensus`, …; spec §1.3, §2.2).
    func runMerged(_ plan: Plan, factory: ModelFactory) throws -> UnitResult? {
        let tasks = config.datasets
        let grid = CoefficientGrid.values(for: config)
        var tau: (any CheckpointReader)?
        var schedule: ((Double) -> (String) -> Float)?
        if config.method != .zeroshot {
            let inputs = try mergeInputs(plan, tasks: tasks)
            guard let method = config.method.mergeMethod else { preconditionFailure("runMerged runs merge methods") }
            var options = MergeOptions(method: method)
            // The method's parameters that `lines run` reads (their `method.` keys).
            for p in method.info.parameters {
                switch p.name {
                case MergeParameter.k.name: options.k = config.k
                case MergeParameter.aggregation.name: options.aggregation = config.aggregation
                case MergeParameter.prunThreK.name: options.prunThreK = config.prunThreK
                case MergeParameter.useTies.name: options.useTies = config.useTies
                case MergeParameter.commonSpaceFraction.name: options.commonSpaceFraction = config.commonSpaceFraction
                case MergeParameter.dropRate.name: options.dropRate = config.dropRate
                case MergeParameter.density.name: options.density = config.density
                case MergeParameter.gamma.name: options.gamma = config.gamma
                case MergeParameter.seed.name: options.seed = config.seed
                default: break
                }
            }
            if method.info.readsTallMasks, let url = plan.masks {
                options.masks = try TallMasks.read(url, parameters: inputs.parameterCount)
            }
            if config.applyLines { options.lines = (alpha: nil, beta: 0) }
            let merged = try mergedTaskVector(inputs, options: options, name: "tau_mtl")
            tau = merged.tau
            if config.applyLines {
                let map = try inputs.layerMap(pattern: nil)
                let alpha = merged.report.schedule?.alpha ?? 1 / Double(tasks.count)
                onEvent(.note("LiNeS: α = \(alpha) (norm ratio / T), L = \(map.layerCount); β over the grid."))
                linesSchedule = (alpha, map.layerCount)
                schedule = { beta in
                    let s = LinesSchedule(alpha: alpha, beta: beta, layerCount: map.layerCount)
                    return { key in Float(s.lambda(forKey: key, in: map)) }
                }
            }
        }
        func encoder(_ c: Double) -> Lazy<VisionTransformer> {
            Lazy {
                guard let tau else { return try factory.zeroshot() }
                let scale: (String) -> Float = schedule?(c) ?? { _ in Float(c) }
                return try factory.combined(tau: tau, scale: scale)
            }
        }
        var val: [JSONEntry] = []
        var scores: [Double] = []
        for c in grid {
            let label = pythonRepr(c)
            if let only = unitLabel, label != only { continue }
            let model = encoder(c)
            var top1: [TaskName: Double] = [:]
            for t in tasks { top1[t] = try evaluate(phase: "val", label: label, task: t, validation: true, encoder: model) }
            let metrics = Metrics.merged(tasks: tasks, validation: true, top1: top1, finetuned: finetunedValues)
            val.append(JSONEntry(label, .object(metrics)))
            scores.append(value(metrics, "avg_normalized_top1"))
            // A validation unit has no baselines to normalise with (the selection unit does that).
            onEvent(.note("\(coefficientName) = \(label): \(unitLabel == nil ? "avg_normalized_top1 \(percent(scores.last!))%, " : "")avg_top1 \(percent(value(metrics, "avg_top1")))%"))
        }
        if unitLabel != nil { return nil }
        // One value (zeroshot, average, specify_lambda) is the selection whatever its score.
        guard let best = grid.count == 1 ? 0 : Metrics.firstStrictMaximum(scores) else {
            throw ExperimentError.noSelection(metric: "avg_normalized_top1")
        }
        let chosen = grid[best]
        onEvent(.note("Selected \(coefficientName) = \(pythonRepr(chosen)) on validation; evaluating the test splits."))
        let model = encoder(chosen)
        var top1: [TaskName: Double] = [:]
        for t in tasks { top1[t] = try evaluate(phase: "test", label: pythonRepr(chosen), task: t, validation: false, encoder: model) }
        let test = Metrics.merged(tasks: tasks, validation: false, top1: top1, finetuned: finetunedValues)
        return (.object([JSONEntry("test", .object(test)), JSONEntry("val", .object(val)), JSONEntry("val_best", val[best].value)]),
                pythonRepr(chosen), nil)
    }

    /// `single_task` (spec §1.2): θ0 + LiNeS(τ_target; γ, 1 − γ) over γ, selected by
    /// `w · target_norm + control_norm`.
    func runSingleTask(_ plan: Plan, factory: ModelFactory) throws -> UnitResult? {
        let tasks = config.datasets
        let target = config.target
        let inputs = try mergeInputs(plan, tasks: [target])
        let tau = try mergedTaskVector(inputs, options: MergeOptions(method: .sum), name: "tau_\(target.rawValue)").tau
        let map = config.applyLines ? try inputs.layerMap(pattern: nil) : nil
        if let map { linesSchedule = (nil, map.layerCount) }
        let grid = CoefficientGrid.values(for: config)
        func encoder(_ gamma: Double) -> Lazy<VisionTransformer> {
            Lazy {
                guard let map else { return try factory.combined(tau: tau, scale: { _ in Float(gamma) }) }
                let s = LinesSchedule.editing(gamma: gamma, layerCount: map.layerCount)
                return try factory.combined(tau: tau, scale: { Float(s.lambda(forKey: $0, in: map)) })
            }
        }
        func metrics(_ top1: [TaskName: Double], validation: Bool) -> [JSONEntry] {
            Metrics.singleTask(tasks: tasks, target: target, validation: validation, top1: top1,
                               finetuned: finetunedValues, zeroshot: zeroshotValues)
        }
        var val: [JSONEntry] = []
        var scores: [Double] = []
        for g in grid {
            let label = pythonRepr(g)
            if let only = unitLabel, label != only { continue }
            let model = encoder(g)
            var top1: [TaskName: Double] = [:]
            for t in tasks { top1[t] = try evaluate(phase: "val", label: label, task: t, validation: true, encoder: model) }
            let m = metrics(top1, validation: true)
            val.append(JSONEntry(label, .object(m)))
            scores.append(Metrics.tradeoffScore(m, weight: config.tradeoffTargetWeight))
            onEvent(.note("γ = \(label): target \(percent(value(m, "target_accuracy")))%, control \(percent(value(m, "control_accuracy")))%\(unitLabel == nil ? ", score \(String(format: "%.4f", scores.last!))" : "")"))
        }
        if unitLabel != nil { return nil }
        guard let best = Metrics.firstStrictMaximum(scores, floor: -.infinity) else {
            throw ExperimentError.noSelection(metric: "tradeoff score")
        }
        let chosen = grid[best]
        onEvent(.note("Selected γ = \(pythonRepr(chosen)) on validation; evaluating the test splits."))
        let model = encoder(chosen)
        var top1: [TaskName: Double] = [:]
        for t in tasks { top1[t] = try evaluate(phase: "test", label: pythonRepr(chosen), task: t, validation: false, encoder: model) }
        return (.object([JSONEntry("test", .object(metrics(top1, validation: false))), JSONEntry("val", .object(val)),
                         JSONEntry("val_best", val[best].value)]), pythonRepr(chosen), nil)
    }

    /// `tall_mask` (spec §2.2): per λ, per task θ0 + m_t ⊙ τ_MTL; λ chosen per task on its own
    /// validation top-1; the chosen masks are saved where `consensus` reads them.
    func runTallMask(_ plan: Plan, factory: ModelFactory) throws -> UnitResult? {
        let tasks = config.datasets
        let inputs = try mergeInputs(plan, tasks: tasks)
        var options = MergeOptions(method: config.useTies ? .ties : .sum)
        if config.useTies { options.k = 20; options.aggregation = .sum }
        let tau = try mergedTaskVector(inputs, options: options, name: "tau_mtl").tau
        var offsets: [String: Int] = [:]
        for (info, o) in zip(inputs.tensors, inputs.offsets) { offsets[info.name] = o }
        let d = inputs.parameterCount
        func maskedEncoder(_ masks: TallMasks, _ t: Int) -> Lazy<VisionTransformer> {
            Lazy { try factory.combined(tau: tau, scale: { _ in 1 }, mask: (masks.packed[t], offsets)) }
        }
        func build(_ lambda: Double) throws -> TallMasks {
            onEvent(.note("Building TALL masks, λ = \(pythonRepr(lambda))…"))
            return try Merger.tallMasks(inputs, lambdas: [lambda], useTies: config.useTies).masks
        }
        if config.loadMask, let url = plan.masks {
            let masks = try TallMasks.read(url, parameters: d).aligned(to: inputs.taskNames, parameters: d, file: url.path)
            var valTop1: [TaskName: Double] = [:], testTop1: [TaskName: Double] = [:]
            for (i, t) in tasks.enumerated() {
                let model = maskedEncoder(masks, i)
                valTop1[t] = try evaluate(phase: "val", label: "loaded_mask", task: t, validation: true, encoder: model)
                if unitLabel != nil { continue }
                testTop1[t] = try evaluate(phase: "test", label: "loaded_mask", task: t, validation: false, encoder: model)
            }
            if unitLabel != nil { return nil }
            let val = Metrics.merged(tasks: tasks, validation: true, top1: valTop1, finetuned: finetunedValues)
            let test = Metrics.merged(tasks: tasks, validation: false, top1: testTop1, finetuned: finetunedValues)
            return (.object([JSONEntry("test", .object(test)), JSONEntry("val", .object([JSONEntry("loaded_mask", .object(val))])),
                             JSONEntry("val_best", .object([JSONEntry("loaded_mask", .object(val))]))]), "loaded_mask", nil)
        }
        let grid = CoefficientGrid.tallMaskLambda
        var val: [JSONEntry] = []
        var best: [Int?] = Array(repeating: nil, count: tasks.count)   // index into grid
        var bestTop1 = [Double](repeating: -.infinity, count: tasks.count)
        var chosenMask: [[UInt8]?] = Array(repeating: nil, count: tasks.count)
        for (gi, lambda) in grid.enumerated() {
            let label = pythonRepr(lambda)
            if let only = unitLabel, label != only { continue }
            let masks = Lazy { try build(lambda) }
            var top1: [TaskName: Double] = [:]
            for (i, t) in tasks.enumerated() {
                let model = Lazy { try maskedEncoder(masks.get(), i).get() }
                let acc = try evaluate(phase: "val", label: label, task: t, validation: true, encoder: model)
                top1[t] = acc
                if acc > bestTop1[i] {   // max() keeps the first maximum
                    bestTop1[i] = acc
                    best[i] = gi
                    chosenMask[i] = nil
                }
            }
            // Keep the masks of the tasks that now prefer this λ (if they were built).
            for i in tasks.indices where best[i] == gi {
                if let m = try? masks.peek() { chosenMask[i] = m.packed[i] }
            }
            let metrics = Metrics.merged(tasks: tasks, validation: true, top1: top1, finetuned: finetunedValues)
            val.append(JSONEntry(label, .object(metrics)))
        }
        if unitLabel != nil { return nil }
        // Masks of tasks whose λ came from the journal are rebuilt once per λ.
        for gi in Set(tasks.indices.compactMap { chosenMask[$0] == nil ? best[$0] : nil }).sorted() {
            let masks = try build(grid[gi])
            for i in tasks.indices where best[i] == gi && chosenMask[i] == nil { chosenMask[i] = masks.packed[i] }
        }
        let packed = chosenMask.map { $0 ?? [] }
        let chosen = TallMasks(tasks: tasks.map(\.rawValue), packed: packed)
        let saveURL = layout.maskSaveURL(taskCount: config.numTasks, useTies: config.useTies, tiesAgg: config.tiesAgg)
        // Rewritten only when they differ: consensus runs fingerprint this file, and an identical
        // rewrite would make their journals look stale.
        if (try? TallMasks.read(saveURL, parameters: d)) != chosen {
            try FileManager.default.createDirectory(at: saveURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try chosen.write(to: saveURL)
            onEvent(.note("Saved the selected TALL masks to \(saveURL.path)."))
        }
        var valBest: [JSONEntry] = []
        var testTop1: [TaskName: Double] = [:]
        for (i, t) in tasks.enumerated() {
            let lambda = grid[best[i] ?? 0]
            onEvent(.note("Best λ for \(t.rawValue) is \(pythonRepr(lambda))"))
            valBest.append(JSONEntry(t.rawValue + "Val:top1", .number(bestTop1[i])))
            testTop1[t] = try evaluate(phase: "test", label: "tall_mask_\(pythonRepr(lambda))", task: t, validation: false,
                                       encoder: maskedEncoder(chosen, i))
        }
        let test = Metrics.merged(tasks: tasks, validation: false, top1: testTop1, finetuned: finetunedValues)
        let selected = tasks.indices.map { "\(tasks[$0].rawValue)=\(pythonRepr(grid[best[$0] ?? 0]))" }.joined(separator: ",")
        return (.object([JSONEntry("test", .object(test)), JSONEntry("val", .object(val)), JSONEntry("val_best", .object(valBest))]),
                selected, saveURL)
    }

    /// The merge methods with one model per task (`mag_masking`, the TALL paper baseline: per
    /// task θ0 + m_t ⊙ Σ τ at coefficient 1, m_t the top-k % of |τ_t|).
    func runPerTaskModels(_ plan: Plan, factory: ModelFactory) throws -> UnitResult? {
        let tasks = config.datasets
        let inputs = try mergeInputs(plan, tasks: tasks)
        guard let method = config.method.mergeMethod else { preconditionFailure("runPerTaskModels runs merge methods") }
        var options = MergeOptions(method: method)
        if method.info.takes(MergeParameter.k.name) { options.k = config.k }
        let folder = workFolder.appendingPathComponent(method.info.runName)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        onEvent(.note("\(method.rawValue) (k = \(pythonRepr(config.k))%): per-task models…"))
        _ = try Merger.merge(inputs, options: options, to: folder)
        var valTop1: [TaskName: Double] = [:], testTop1: [TaskName: Double] = [:]
        for t in tasks {
            let model = Lazy { try factory.encoder(at: folder.appendingPathComponent("\(t.rawValue).safetensors")) }
            valTop1[t] = try evaluate(phase: "val", label: "1.0", task: t, validation: true, encoder: model)
            if unitLabel != nil { continue }
            testTop1[t] = try evaluate(phase: "test", label: "1.0", task: t, validation: false, encoder: model)
        }
        if unitLabel != nil { return nil }
        let val = Metrics.merged(tasks: tasks, validation: true, top1: valTop1, finetuned: finetunedValues)
        let test = Metrics.merged(tasks: tasks, validation: false, top1: testTop1, finetuned: finetunedValues)
        return (.object([JSONEntry("test", .object(test)), JSONEntry("val", .object([JSONEntry("1.0", .object(val))])),
                         JSONEntry("val_best", .object(val))]), "1.0", nil)
    }

    var coefficientName: String { config.applyLines ? "β" : "λ" }

    func value(_ metrics: [JSONEntry], _ key: String) -> Double {
        if case let .number(d)? = metrics.first(where: { $0.key == key })?.value { return d }
        return .nan
    }

    func percent(_ x: Double) -> String { String(format: "%.2f", 100 * x) }
}

extension Lazy {
    /// The value if it was already computed.
    func peek() throws -> T? { try isComputed ? get() : nil }
}
