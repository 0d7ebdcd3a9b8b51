import CLIP
import Checkpoints
import Datasets
import Experiments
import Foundation
import Report
import Tensors
import Training

/// The embedded default: the whole LiNeS story in the paper's regime, offline.
///
/// 1. Data: the eight tasks of ``DemoSuite`` as custom tasks (``DemoData``); with `--pretrain`
///    the pre-training mixture too.
/// 2. Models: θ0, the embedded pre-trained ViT (``DemoPretrained``, or pre-trained here with
///    `--pretrain`); per task a frozen head from θ0's features of each class's canonical
///    depictions (the zero-shot heads' analogue); per task a fine-tune from θ0 to convergence with the head frozen (the
///    library behind `lines finetune`), its validation curve kept; all written in the
///    reference's checkpoint layout.
/// 3. Experiments through ``ExperimentRunner`` (the code of `lines run`): zero-shot, fine-tuned,
///    single-task LiNeS per target, and every merge method of ``mergeMethods`` and Consensus,
///    each with and without LiNeS.
/// 4. A report (``DemoReport``).
///
/// Every stage is cached under ``DemoSettings/root``: data and checkpoints are rebuilt only when
/// missing, and the runs' journals make a repeated run re-use every evaluation.
public final class DemoPipeline: @unchecked Sendable {
    public let settings: DemoSettings
    /// Progress lines.
    public var log: (String) -> Void = { _ in }
    /// Evaluation progress of the runs.
    public var onRunEvent: (RunEvent) -> Void = { _ in }

    public init(settings: DemoSettings) { self.settings = settings }

    var root: URL { settings.root }
    var dataLocation: URL { root.appendingPathComponent("data") }
    var modelLocation: URL { root.appendingPathComponent("model_checkpoints") }
    var modelFolder: URL { layout.modelFolder }
    /// The reference's folder layout under ``modelLocation``, which `lines run` then reads.
    var layout: ReferenceLayout { ReferenceLayout(modelLocation: modelLocation.path, model: settings.modelName) }
    var tasks: [DemoTask] { DemoSuite.tasks }

    /// Runs every stage and returns the collected results.
    public func run() throws -> DemoResults {
        let fm = FileManager.default
        if settings.fresh { try? fm.removeItem(at: root) }
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        var timings: [(String, Double)] = []
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            let v = try body()
            timings.append((stage, Date().timeIntervalSince(start)))
            return v
        }
        try timed("data") { try prepareData() }
        let theta0 = try timed("pre-training") { try pretrain() }
        try timed("heads") { try buildHeads(theta0: theta0) }
        try timed("fine-tuning") { try finetuneAll(theta0: theta0) }
        var results = try timed("experiments") { try experiments() }
        results.timings = timings
        return results
    }

    // MARK: - Stages

    func prepareData() throws {
        let stamp = dataLocation.appendingPathComponent(".complete")
        if FileManager.default.fileExists(atPath: stamp.path) { log("data: cached in \(dataLocation.path)"); return }
        log("data: writing \(tasks.count) tasks\(settings.pretrain ? " and the pre-training set" : "") to \(dataLocation.path)")
        try DemoData.write(to: dataLocation, sizes: settings.sizes, tasks: tasks, pretraining: settings.pretrain)
        FileManager.default.createFile(atPath: stamp.path, contents: Data())
    }

    /// A split for training or evaluation (decoded per batch).
    func trainingSet(_ task: TaskName, _ split: DatasetSplit) throws -> TrainingSet {
        TrainingSet(samples: try TaskLoader.load(task, dataLocation: dataLocation).samples(split))
    }

    func recipe(epochs: Int?, steps: Int?, seed: UInt64, learningRate: Double) -> FineTuneRecipe {
        var r = FineTuneRecipe(epochs: epochs ?? 1)
        r.steps = steps
        r.learningRate = learningRate
        r.warmup = settings.warmup
        r.batchSize = settings.batchSize
        r.microBatch = 32
        r.seed = seed
        return r
    }

    /// θ0: the embedded pre-trained model (checked against its sha256), or with `--pretrain`
    /// pre-trained here on the mixture of upright garments and lower-case Latin and Greek
    /// glyphs (``DemoSuite/pretrainClasses``) under a random frozen head.
    func pretrain() throws -> URL {
        let url = modelFolder.appendingPathComponent("pretrained.safetensors")
        if FileManager.default.fileExists(atPath: url.path) { log("pre-trained model: cached \(url.path)"); return url }
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
        if !settings.pretrain {
            let bytes = [UInt8](try DemoPretrained.verifiedBytes())
            let file = try AtomicFile(url: url)
            try file.write(bytes, at: 0)
            try file.commit()
            log("pre-trained model: the embedded one (sha256 \(DemoPretrained.sha256.prefix(16))…)")
            return url
        }
        let model = TrainableViT(config: settings.encoder, seed: 0)
        let head = try RandomHead.make(classes: DemoSuite.pretrainClasses.count, dim: settings.encoder.outputDim, seed: 0)
        let data = try trainingSet(.custom(DemoData.pretrainName), .train)
        let tuner = try FineTuner(model: model, head: head, data: data, recipe: recipe(epochs: nil, steps: settings.pretrainSteps, seed: 0, learningRate: settings.learningRate))
        log("pre-training: \(settings.encoder), \(tuner.totalSteps) steps of \(settings.batchSize) on \(data.count) images of \(DemoSuite.pretrainClasses.count) classes")
        let bar = tuner.totalSteps >= 1000 ? max(1, tuner.totalSteps / 20) : max(1, tuner.totalSteps / 5)
        try tuner.train(logEvery: bar) { e in
            self.log(String(format: "  step %d/%d  loss %.3f  acc %.3f  %.0f img/s", e.step, e.totalSteps, e.loss, e.accuracy, e.imagesPerSecond))
        }
        let val = try tuner.evaluate(trainingSet(.custom(DemoData.pretrainName), .val))
        log(String(format: "pre-training: validation accuracy %.3f", val.accuracy))
        try model.save(to: url, extra: [])
        log("pre-trained model: \(url.path), sha256 \(try DemoPretrained.digest(of: url)) (to embed it: copy it to Sources/Demo/Resources/pretrained.safetensors and set DemoPretrained.sha256)")
        return url
    }

    /// Per task, the frozen "zero-shot" head: unit means of θ0's features of the class's
    /// canonical depictions (``DemoData/canonicalFolder``) × 100, the analogue of CLIP's heads
    /// built from prompts: they name the class, they were not fitted to the task's images.
    func buildHeads(theta0: URL) throws {
        let encoder = try VisionTransformer(checkpoint: theta0)
        let pre = CLIPPreprocessor(size: settings.encoder.imageSize)
        let canonical = dataLocation.appendingPathComponent(DemoData.canonicalFolder)
        for task in tasks {
            let url = layout.headURL(.custom(task.name), format: .safetensors)
            if FileManager.default.fileExists(atPath: url.path) { continue }
            let split = try DecodedSplit(try TaskLoader.load(.custom(task.name), dataLocation: canonical), split: .test)
            let n = split.images.count
            let pixels = Tensor(shape: [n, 3, pre.size, pre.size], scalars: pre.preprocessBatch(split.images))
            let features = try encoder.encode(pixels, batchSize: 256)
            let d = settings.encoder.outputDim, c = task.classNames.count
            var sums = [Double](repeating: 0, count: c * d)
            for i in 0..<n {
                let row = features.scalars[(i * d)..<((i + 1) * d)]
                let norm = max(1e-12, Double(row.reduce(0) { $0 + $1 * $1 }).squareRoot())
                for (j, v) in row.enumerated() { sums[split.labels[i] * d + j] += Double(v) / norm }
            }
            var weight = [Float](repeating: 0, count: c * d)
            for k in 0..<c {
                let row = sums[(k * d)..<((k + 1) * d)]
                let norm = max(1e-12, row.reduce(0) { $0 + $1 * $1 }.squareRoot())
                for j in 0..<d { weight[k * d + j] = Float(100 * row[row.startIndex + j] / norm) }
            }
            try ClassificationHead(weight: Tensor(shape: [c, d], scalars: weight)).save(to: url)
        }
        log("heads: class means of θ0's features of each class's canonical depictions for \(tasks.count) tasks")
    }

    /// Per task: θ0 written as `{X}Val/nonlinear_zeroshot`, fine-tuned under the frozen head, written as `nonlinear_finetuned`.
    func finetuneAll(theta0: URL) throws {
        for (t, task) in tasks.enumerated() {
            let name = TaskName.custom(task.name)
            let finetuned = layout.finetunedURL(name, format: .safetensors)
            try FileManager.default.createDirectory(at: layout.taskFolder(name), withIntermediateDirectories: true)
            let zeroshot = layout.zeroshotURL(name, format: .safetensors)
            if !FileManager.default.fileExists(atPath: zeroshot.path) {
                try FileManager.default.copyItem(at: theta0, to: zeroshot)
            }
            if FileManager.default.fileExists(atPath: finetuned.path) { continue }
            let model = try TrainableViT(reader: try Checkpoint.open(theta0))
            let head = try ClassificationHead(checkpoint: layout.headURL(name, format: .safetensors))
            let data = try trainingSet(.custom(task.name), .train)
            let tuner = try FineTuner(model: model, head: head, data: data,
                                      recipe: recipe(epochs: settings.finetuneEpochs, steps: nil, seed: UInt64(100 * settings.seed + t + 1), learningRate: settings.finetuneLearningRate))
            let validation = try trainingSet(.custom(task.name), .val)
            let start = Date()
            var curve = [try tuner.evaluate(validation).accuracy]
            for epoch in 1...settings.finetuneEpochs {
                try tuner.train(until: epoch * tuner.batchesPerEpoch, logEvery: tuner.totalSteps) { _ in }
                curve.append(try tuner.evaluate(validation).accuracy)
            }
            log(String(format: "fine-tuned %@: %d steps, %.0f s, validation accuracy %@", task.name, tuner.totalSteps,
                       Date().timeIntervalSince(start), curve.map { String(format: "%.3f", $0) }.joined(separator: " → ")))
            let json = try JSONSerialization.data(withJSONObject: ["epochs": settings.finetuneEpochs, "validation_accuracy": curve], options: [.sortedKeys])
            let file = try AtomicFile(url: curveURL(name))
            try file.write([UInt8](json), at: 0)
            try file.commit()
            try model.save(to: finetuned, extra: [])
        }
    }

    /// Where a task's training curve is kept (validation accuracy before and after each epoch).
    func curveURL(_ name: TaskName) -> URL { layout.taskFolder(name).appendingPathComponent("finetune_curve.json") }

    /// The merge rows (each run plain and with LiNeS), in the report's order; Consensus follows
    /// (it needs the TALL masks run first).
    static let mergeMethods: [(String, [String])] = [
        ("TA", ["method=sum"]), ("TIES", ["method=ties"]), ("TSV-M", ["method=tsv"]), ("Iso-C", ["method=iso_c"]),
        ("Iso-CTS", ["method=iso_cts"]), ("DARE", ["method=dare"]), ("Breadcrumbs", ["method=breadcrumbs"]),
    ]

    /// The paper's experiments through the runner.
    func experiments() throws -> DemoResults {
        let names = tasks.map(\.name)
        let common = ["model=\(settings.modelName)", "DATASETS=[\(names.joined(separator: ","))]",
                      "data_location=\(dataLocation.path)", "model_location=\(modelLocation.path)",
                      "cache_dir=\(root.appendingPathComponent("decoded").path)",
                      "results_location=\(root.appendingPathComponent("results").path)",
                      "logs_location=\(root.appendingPathComponent("logs").path)", "batch_size=256"]
        func run(_ label: String, _ extra: [String]) throws -> RunOutcome {
            let tree = try ConfigLoader().compose((common + extra).map(ConfigOverride.init))
            let runner = ExperimentRunner(config: try ExperimentConfig(tree: tree))
            runner.onEvent = onRunEvent
            let start = Date()
            let outcome = try runner.run()
            log(String(format: "%@: %.1f s", label, Date().timeIntervalSince(start)))
            return outcome
        }
        var results = DemoResults(tasks: tasks.map { DemoResults.TaskInfo(name: $0.name, summary: $0.summary, classes: $0.classNames.count) })
        results.zeroshot = try run("zero-shot", ["method=zeroshot"])
        for (key, args) in DemoPipeline.mergeMethods {
            results.merges.append(.init(method: key, lines: false, outcome: try run(key, args)))
            results.merges.append(.init(method: key, lines: true, outcome: try run(key + "+LiNeS", args + ["method.apply_lines=true"])))
        }
        _ = try run("TALL masks", ["method=tall_mask"])
        results.merges.append(.init(method: "Consensus", lines: false, outcome: try run("Consensus", ["method=consensus"])))
        results.merges.append(.init(method: "Consensus", lines: true, outcome: try run("Consensus+LiNeS", ["method=consensus", "method.apply_lines=true"])))
        for i in tasks.indices {
            let plain = try run("fine-tuned on \(tasks[i].name)", ["method=single_task", "method.task_index=\(i)"])
            let lines = try run("LiNeS on \(tasks[i].name)", ["method=single_task", "method.task_index=\(i)", "method.apply_lines=true"])
            results.singleTask.append(.init(target: tasks[i].name, finetuned: plain, lines: lines))
        }
        let ftURL = root.appendingPathComponent("results/single_task/\(settings.modelName)/nonlinear_ft_accuracies.json")
        if let obj = (try? JSONValue(contentsOf: ftURL))?.object {
            results.finetunedAccuracy = Dictionary(obj.compactMap { e in e.value.double.map { (e.key, $0) } }, uniquingKeysWith: { _, b in b })
        }
        for task in tasks {
            if let data = try? Data(contentsOf: curveURL(.custom(task.name))),
               let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let curve = obj["validation_accuracy"] as? [Double] {
                results.curves[task.name] = curve
            }
        }
        results.layerCount = settings.encoder.layers
        results.seed = settings.seed
        return results
    }
}
