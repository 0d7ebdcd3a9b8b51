import CLIP
import Checkpoints
import Datasets
import Evaluation
import Foundation
import Merging
import Tensors

/// Runs the reference's protocol (`main.py` → `perform_eval_with_merged_vector`, spec §1–3) for
/// one configuration: build the method's task vector once, evaluate every `XVal` split at every
/// coefficient of the grid, select on validation, evaluate the test splits once at the selected
/// value, and write the reference's results file.
///
/// Everything a run needs is checked by ``preflight()`` before any model is loaded. Every
/// finished evaluation is journaled at once (``RunJournal``), so a killed run started again
/// continues where it stopped and writes the same results file.
public final class ExperimentRunner: @unchecked Sendable {
    /// The configuration.
    public let config: ExperimentConfig
    /// The checkpoint layout under `model_location`.
    public let layout: ReferenceLayout
    /// Receives progress; called on the running thread.
    public var onEvent: (RunEvent) -> Void = { _ in }

    /// The files and datasets a run uses, found by ``preflight()``.
    public struct Plan: Sendable {
        public var zeroshot: URL
        public var finetuned: [TaskName: URL]
        public var heads: [TaskName: URL]
        public var datasets: [TaskName: TaskDataset]
        public var masks: URL?
        /// Tasks whose head is built from text (``ExperimentConfig/clipCheckpoint``) before the run.
        public var headsToBuild: [TaskName] = []
    }

    var finetunedBaseline: BaselineAccuracies?
    var zeroshotBaseline: BaselineAccuracies?
    var journal: RunJournal?
    var plan: Plan?
    var heads: [TaskName: ClassificationHead] = [:]
    var validationSplits: [TaskName: DecodedSplit] = [:]
    var lastTestSplit: DecodedSplit?
    /// α and L of the LiNeS schedule the run used, for its outcome.
    var linesSchedule: (alpha: Double?, layers: Int)?
    /// The label of the validation unit this process runs (`--unit N`), or `nil` for a whole run.
    var unitLabel: String?
    /// The unit this process runs, if any.
    var unitIndex: Int?
    /// This process on this host (work folders of two copies of one unit never collide).
    static let processTag: String = {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(cString: name) : "host"
        return "\(host.filter { $0.isLetter || $0.isNumber || $0 == "-" }).\(getpid())"
    }()
    /// Whether ``buildMissingHeads(_:)`` already ran in this process.
    var headsBuilt = false
    /// Where the run's temporary models go; each unit has its own, so that units running side by
    /// side on one node never remove each other's files.
    var workFolder: URL {
        config.logsLocation.appendingPathComponent(".work/\(config.resultStem)\(unitIndex.map { ".unit-\($0).\(Self.processTag)" } ?? "")")
    }
    /// Seconds spent per step (`preflight`, `merge`, `model build`, `decode`, `forward`) by this process.
    public internal(set) var timings: [String: Double] = [:]
    /// Decoded splits read from the decode cache, and decoded afresh.
    public internal(set) var decodeCacheHits = 0, decodeCacheMisses = 0

    func timed<T>(_ step: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        defer { timings[step, default: 0] += Date().timeIntervalSince(start) }
        return try body()
    }

    public init(config: ExperimentConfig) {
        self.config = config
        layout = ReferenceLayout(modelLocation: config.modelLocation, model: config.model)
    }

    // MARK: - Preflight

    /// Finds every file and dataset the run needs.
    /// - Throws: ``ExperimentError`` in one sentence: missing checkpoint, head, mask file or
    ///   dataset, or an unreadable baseline file.
    @discardableResult
    public func preflight() throws -> Plan {
        if let plan { return plan }
        // The outputs' folders must be writable before hours of evaluation, not after.
        for (key, folder) in [("results_location", config.resultURL.deletingLastPathComponent()), ("logs_location", config.logsLocation)] {
            try Self.checkWritable(folder, key: key)
        }
        let tasks = config.datasets
        var zeroshot = ReferenceLayout.existing(layout.zeroshotCandidates)
        if zeroshot == nil {
            for t in tasks {
                if let u = ReferenceLayout.existing(layout.zeroshotCandidates(t)) {
                    onEvent(.note("No MNISTVal/nonlinear_zeroshot.*; using \(u.path), which holds the same θ0."))
                    zeroshot = u
                    break
                }
            }
        }
        guard let zeroshot else {
            throw ExperimentError.missingFile(what: "the zero-shot model (model=\(config.model), model_location=\(config.modelLocation))",
                                              lookedFor: layout.zeroshotCandidates.map(\.path))
        }

        let ft = try BaselineAccuracies(kind: .finetuned, candidates: [
            config.resultsLocation.appendingPathComponent("single_task/\(config.model)/nonlinear_ft_accuracies.json"),
            layout.modelFolder.appendingPathComponent("nonlinear_ft_accuracies.json"),
        ])
        finetunedBaseline = ft
        if config.method == .singleTask {
            zeroshotBaseline = try BaselineAccuracies(kind: .zeroshot, candidates: [
                config.resultsLocation.appendingPathComponent("zero_shot/\(config.model)_20tasks_zeroshot.json"),
            ])
        }

        var needFT: [TaskName] = []
        for t in tasks {
            let merged = config.method != .zeroshot && (config.method != .singleTask || t == config.target)
            let baseline = ft[Metrics.datasetName(t, validation: true)] == nil || ft[Metrics.datasetName(t, validation: false)] == nil
            if merged || baseline { needFT.append(t) }
        }
        var finetuned: [TaskName: URL] = [:]
        for t in needFT {
            guard let u = ReferenceLayout.existing(layout.finetunedCandidates(t)) else {
                throw ExperimentError.missingFile(what: "the fine-tuned model of \(t.rawValue)", lookedFor: layout.finetunedCandidates(t).map(\.path))
            }
            finetuned[t] = u
        }
        var headURLs: [TaskName: URL] = [:]
        var headsToBuild: [TaskName] = []
        for t in tasks {
            if let u = ReferenceLayout.existing(layout.headCandidates(t)) {
                headURLs[t] = u
            } else if config.clipCheckpoint != nil {
                headsToBuild.append(t)
                headURLs[t] = layout.modelFolder.appendingPathComponent("head_\(t.rawValue)Val.safetensors")
            } else {
                throw ExperimentError.missingFile(what: "the classification head of \(t.rawValue) (or set clip_checkpoint=PATH, a CLIP checkpoint with its text tower, to build it from the task's templates)",
                                                  lookedFor: layout.headCandidates(t).map(\.path))
            }
        }
        if let clip = config.clipCheckpoint, !headsToBuild.isEmpty {
            guard FileManager.default.fileExists(atPath: clip.path) else {
                throw ExperimentError.missingFile(what: "clip_checkpoint", lookedFor: [clip.path])
            }
            guard config.bpePath ?? CLIPTokenizer.defaultMergesFile(near: clip) != nil else {
                throw ExperimentError.missingFile(what: "the tokenizer's merges file (set bpe_path=PATH or LINES_CLIP_BPE; the copy shipped with Lines, Lines_CLIP.resources next to the executable, is missing)",
                                                  lookedFor: [clip.deletingLastPathComponent().appendingPathComponent("bpe_simple_vocab_16e6.txt.gz").path])
            }
        }
        var masks: URL?
        if config.method.mergeMethod?.info.readsTallMasks == true || (config.method == .tallMask && config.loadMask) {
            let candidates = layout.maskCandidates(taskCount: config.numTasks, useTies: config.useTies, tiesAgg: config.tiesAgg)
            guard let u = ReferenceLayout.existing(candidates) else {
                throw ExperimentError.missingFile(what: "the TALL masks (run method=tall_mask\(config.useTies ? " method.use_ties=true" : "") first)",
                                                  lookedFor: candidates.map(\.path))
            }
            masks = u
        }
        if config.method == .singleTask && tasks.count < 2 {
            throw ExperimentError.unsupported("method=single_task needs at least two tasks (the target and one control); DATASETS has \(tasks.count).")
        }
        var datasets: [TaskName: TaskDataset] = [:]
        for t in tasks {
            do { datasets[t] = try TaskLoader.load(t, dataLocation: config.dataLocation) } catch {
                throw ExperimentError.dataset(task: t.rawValue, reason: "\(error)")
            }
        }
        let p = Plan(zeroshot: zeroshot, finetuned: finetuned, heads: headURLs, datasets: datasets, masks: masks, headsToBuild: headsToBuild)
        plan = p
        return p
    }

    // MARK: - Run

    /// Runs the whole protocol and writes the results.
    /// Creates `folder` if needed and writes and removes a probe file in it.
    /// - Throws: ``ExperimentError/badValue(key:value:expected:)`` naming the config key.
    static func checkWritable(_ folder: URL, key: String) throws {
        let probe = folder.appendingPathComponent(".lines-write-probe-\(processTag)-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw ExperimentError.badValue(key: key, value: folder.path,
                                           expected: "a folder Lines can create and write (\((error as NSError).localizedFailureReason ?? error.localizedDescription))")
        }
    }

    public func run() throws -> RunOutcome {
        guard let outcome = try execute(requireValidation: false) else {
            throw ExperimentError.unsupported("internal: a whole run produced no results")
        }
        return outcome
    }

    /// Runs one unit of the sweep (``ExperimentConfig/sweepUnits``): a validation unit journals
    /// its evaluations into its own file (``SweepFolder/journal(_:)``) and returns `nil`; the
    /// selection unit takes every unit's results, evaluates the test splits at the selected value
    /// and writes the same results files as a whole run.
    /// - Throws: ``ExperimentError/unitsMissing(_:folder:)`` when the selection unit runs before
    ///   every validation unit has finished, and whatever a run throws.
    public func runUnit(_ index: Int) throws -> RunOutcome? {
        let units = config.sweepUnits
        guard units.indices.contains(index) else {
            throw ExperimentError.badValue(key: "--unit", value: String(index),
                                           expected: "a unit of this run: 0 to \(units.count - 2) validate, \(units.count - 1) selects and tests")
        }
        unitIndex = index
        let unit = units[index]
        if unit.kind == .validation {
            unitLabel = unit.label
            return try execute(requireValidation: false)
        }
        return try execute(requireValidation: true)
    }

    /// A whole run, a validation unit (``unitLabel`` set: returns `nil`), or the selection unit
    /// (`requireValidation`: every validation result must already be journaled).
    func execute(requireValidation: Bool) throws -> RunOutcome? {
        let plan = try timed("preflight") { try preflight() }
        // Heads are built before the inputs are fingerprinted, so that a resumed run (or every
        // unit of a sweep) sees the same files.
        try buildMissingHeads(plan)
        let sweep = SweepFolder(config: config)
        let fingerprint = fingerprint(plan)
        let journal: RunJournal
        if let unitIndex, unitLabel != nil {
            journal = try RunJournal(url: sweep.journal(unitIndex), fingerprint: fingerprint)
        } else {
            let journalURL = config.logsLocation.appendingPathComponent(".journal/\(config.resultStem).jsonl")
            journal = try RunJournal(url: journalURL, fingerprint: fingerprint, including: sweep.unitJournals)
        }
        self.journal = journal
        if requireValidation {
            let missing = config.sweepUnits.filter { u in u.kind == .validation && u.keys.contains { journal.result($0) == nil } }
            if !missing.isEmpty { throw ExperimentError.unitsMissing(missing.map(\.index), folder: sweep.url.path) }
        }
        let resumed = journal.count
        if resumed > 0 { onEvent(.note("Resuming: \(resumed) evaluations already done (\(journal.url.path)).")) }
        for t in config.datasets {
            guard let url = plan.heads[t] else { continue }
            heads[t] = try ClassificationHead(checkpoint: url)
        }
        let factory = try ModelFactory(theta0: try Checkpoint.open(plan.zeroshot), activation: config.activation)
        // A validation unit needs no baseline: it journals counts, and the selection normalises them.
        if unitLabel == nil { try computeBaselines(plan, factory: factory) }
        try FileManager.default.createDirectory(at: workFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workFolder) }

        let produced: UnitResult?
        switch config.method {
        case .singleTask: produced = try runSingleTask(plan, factory: factory)
        case .tallMask: produced = try runTallMask(plan, factory: factory)
        case .zeroshot: produced = try runMerged(plan, factory: factory)
        case let .merge(m): produced = m.info.output == .modelPerTask ? try runPerTaskModels(plan, factory: factory) : try runMerged(plan, factory: factory)
        }
        guard let outcome = produced else { return nil }
        var result = try writeOutputs(outcome.document, selected: outcome.selected, masks: outcome.masks, resumed: resumed)
        result.linesAlpha = linesSchedule?.alpha
        result.layerCount = linesSchedule?.layers
        return result
    }

    /// Builds the heads the model folder lacks from `clip_checkpoint`'s text tower, as the
    /// reference's `build_classification_head` does, and saves them where it saves them.
    func buildMissingHeads(_ plan: Plan) throws {
        guard let clip = config.clipCheckpoint, !plan.headsToBuild.isEmpty, !headsBuilt else { return }
        defer { headsBuilt = true }
        guard let bpe = config.bpePath ?? CLIPTokenizer.defaultMergesFile(near: clip) else {
            throw ExperimentError.missingFile(what: "the tokenizer's merges file (bpe_path)", lookedFor: [])
        }
        onEvent(.note("Building \(plan.headsToBuild.count) head(s) from \(clip.lastPathComponent)'s text tower…"))
        let builder = try ZeroShotHeadBuilder(encoder: try TextTransformer(checkpoint: clip, activation: config.activation),
                                              tokenizer: try CLIPTokenizer(mergesFile: bpe))
        for t in plan.headsToBuild {
            guard let url = plan.heads[t] else { continue }
            let names = try t.promptNames(dataLocation: config.dataLocation)
            let head = try builder.head(classNames: names, templates: t.templates)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try head.save(to: url)
            onEvent(.note("Built the head of \(t.rawValue) (\(names.count) classes × \(t.templates.count) templates): \(url.path)"))
        }
    }

    // MARK: - Evaluation

    /// One evaluation, from the journal or computed (and journaled).
    func evaluate(phase: String, label: String, task: TaskName, validation: Bool,
                  encoder: Lazy<VisionTransformer>) throws -> Double {
        let name = Metrics.datasetName(task, validation: validation)
        let key = RunJournal.key(phase: phase, label: label, task: name)
        if let done = journal?.result(key) {
            onEvent(.finished(label: label, dataset: name, top1: done.top1, imagesPerSecond: nil, cached: true))
            return done.top1
        }
        let model = try timed("model build") { try encoder.get() }
        let acc = try measure(label: label, task: task, validation: validation, encoder: model)
        try journal?.record(key, correct: acc.correct, count: acc.count)
        return acc.top1
    }

    /// Runs `encoder` with the task's head on the task's split, reporting progress.
    func measure(label: String, task: TaskName, validation: Bool, encoder: VisionTransformer) throws -> SplitAccuracy {
        let split = try decoded(task, validation: validation)
        guard let head = heads[task] else { throw ExperimentError.unsupported("no head loaded for \(task.rawValue)") }
        let name = Metrics.datasetName(task, validation: validation)
        onEvent(.started(label: label, dataset: name, images: split.images.count))
        let start = Date()
        let total = split.images.count
        let acc = try Evaluator.accuracy(encoder: encoder, head: head, split: split, batchSize: config.batchSize) { done in
            self.onEvent(.progress(done: done, total: total))
        }
        let seconds = Date().timeIntervalSince(start)
        timings["forward", default: 0] += seconds
        onEvent(.finished(label: label, dataset: name, top1: acc.top1,
                          imagesPerSecond: seconds > 0 ? Double(total) / seconds : nil, cached: false))
        return acc
    }

    /// The decoded split: validation splits stay in memory for the whole run; test splits are
    /// kept one at a time. Both come from the on-disk decode cache when it has them.
    func decoded(_ task: TaskName, validation: Bool) throws -> DecodedSplit {
        if validation, let s = validationSplits[task] { return s }
        if !validation, let s = lastTestSplit, s.task == task { return s }
        guard let dataset = plan?.datasets[task] else { throw ExperimentError.dataset(task: task.rawValue, reason: "not loaded") }
        let split: DatasetSplit = validation ? .val : .test
        let result: DecodedSplit
        do {
            // An unwritable cache folder costs the cache, not the run.
            let loaded = try timed("decode") { try DecodeCache.load(dataset, split: split, directory: config.cacheDirectory, bestEffort: true) }
            if loaded.hit { decodeCacheHits += 1 } else { decodeCacheMisses += 1 }
            result = loaded.split
        } catch {
            throw ExperimentError.dataset(task: task.rawValue, reason: "\(error)")
        }
        if validation { validationSplits[task] = result } else { lastTestSplit = result }
        return result
    }

    /// Fills in the fine-tuned (and for single-task runs, zero-shot) accuracies that the baseline
    /// files lack, by evaluating those models once.
    func computeBaselines(_ plan: Plan, factory: ModelFactory) throws {
        guard var ft = finetunedBaseline else { return }
        for t in config.datasets {
            let missing = [true, false].filter { ft[Metrics.datasetName(t, validation: $0)] == nil }
            guard !missing.isEmpty, let url = plan.finetuned[t] else { continue }
            if missing.count == 2 { onEvent(.note("No fine-tuned accuracy for \(t.rawValue) in \(ft.saveURL.path): evaluating \(url.lastPathComponent) once.")) }
            let encoder = try factory.encoder(at: url)
            for v in missing {
                let acc = try measure(label: "fine-tuned", task: t, validation: v, encoder: encoder)
                try ft.record(Metrics.datasetName(t, validation: v), acc.top1)
            }
        }
        finetunedBaseline = ft
        guard var zs = zeroshotBaseline else { return }
        let encoder = Lazy { try factory.zeroshot() }
        for t in config.datasets {
            for v in [true, false] where zs[Metrics.datasetName(t, validation: v)] == nil {
                let acc = try measure(label: "zero-shot", task: t, validation: v, encoder: try encoder.get())
                try zs.record(Metrics.datasetName(t, validation: v), acc.top1)
            }
        }
        zeroshotBaseline = zs
    }

    var finetunedValues: [String: Double] { finetunedBaseline?.values ?? [:] }
    var zeroshotValues: [String: Double] { zeroshotBaseline?.values ?? [:] }

    /// A stable hash of everything that decides the results.
    func fingerprint(_ plan: Plan) -> String {
        var tree = config.tree
        for key in ["batch_size", "device", "world_size", "port", "wandb", "cache_dir", "logs_location", "results_location", "launcher"] {
            tree.remove(at: [key])
        }
        var text = tree.yaml()
        // The models the evaluations use; fine-tuned models read only for baseline accuracies are
        // left out (the journal holds counts, normalised with whatever baselines are current).
        let merged: [TaskName] = config.method == .zeroshot ? [] : config.method == .singleTask ? [config.target] : config.datasets
        var files = [plan.zeroshot] + merged.compactMap { plan.finetuned[$0] } + config.datasets.compactMap { plan.heads[$0] }
        if let m = plan.masks { files.append(m) }
        for url in files {
            let a = try? FileManager.default.attributesOfItem(atPath: url.path)
            let size = (a?[.size] as? NSNumber)?.int64Value ?? -1
            let time = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            text += "\(url.path)|\(size)|\(time)\n"
        }
        var hash = FNV1a()
        hash.add(text)
        return hash.hex
    }
}
