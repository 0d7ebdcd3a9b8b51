import ArgumentParser
import CLIP
import Checkpoints
import Datasets
import Experiments
import Foundation
import Tensors
import Training

/// `lines finetune`: fine-tunes a CLIP ViT image encoder on one task with the reference recipe.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a CLIP ViT image encoder on a task under its frozen zero-shot head (the reference's finetune.py).",
        discussion: """
        Recipe (spec §5), every value overridable: AdamW lr 1e-5, weight decay 0.1, betas (0.9, 0.999), \
        eps 1e-8; 500 warmup steps then cosine to 0; gradient-norm clipping 1.0; batch 128; the \
        reference's epochs per task (MNIST 5, DTD 76, …); RandomResizedCrop(scale 0.9–1.0, bicubic) \
        training transform; frozen head. Trains on the XVal train part, reports accuracy on the XVal \
        validation part.

        Writes {model-location}/{name}/{X}Val/nonlinear_zeroshot.pt before training and \
        nonlinear_finetuned.pt after (torch.save state dicts with model.visual.… keys, as the \
        reference's ImageEncoder saves them; with --format, safetensors of the same stems next to \
        them or instead), and finetune_state.safetensors \
        (weights, AdamW moments, step) every --checkpoint-every steps, from which --resume continues \
        exactly. {name} is --model-name, else --model when it is a name, else the encoder's open_clip \
        name (ViT-B-32…), else "tiny". As in the reference, `--model ViT-B-32` starts from \
        {M}/ViT-B-32/MNISTVal/nonlinear_zeroshot.pt and uses {M}/ViT-B-32/head_{X}Val.pt.

        Tiny-model mode (--tiny WIDTH,LAYERS,HEADS,PATCH,IMAGE[,OUTPUT]) trains a randomly initialised \
        encoder (seeded) under a random frozen head of unit class vectors × 100, which it also saves \
        as {name}/head_{X}Val.safetensors.

        Examples:
          lines finetune --model ViT-B-32 --task DTD --data-location ~/data --model-location ~/checkpoints
          lines finetune --model zeroshot.pt --head head_MNISTVal.pt --task MNIST --data-location ~/data \\
              --model-location /tmp/models --steps 200 --batch-size 64
          lines finetune --tiny 64,2,2,7,28 --task MNIST --data-location ~/data --model-location /tmp/models \\
              --steps 500 --lr 2e-3 --warmup 20 --batch-size 32
        """
    )

    @Option(help: ArgumentHelp("Zero-shot image encoder θ0: a checkpoint file (reference .pt, safetensors), or a model name NAME whose {M}/NAME/MNISTVal/nonlinear_zeroshot.pt (or .safetensors) is read, as the reference does. Not with --tiny.", valueName: "ENCODER"))
    var model: String?

    @Option(help: ArgumentHelp("Frozen classification head (head_{X}Val.pt or weight/bias safetensors). Default: {M}/{name}/head_{X}Val.pt (or .safetensors); with --tiny, a random head.", valueName: "HEAD"))
    var head: String?

    @Option(help: ArgumentHelp("Task to train on (MNIST, DTD, …; a trailing Val is accepted).", valueName: "X"))
    var task: String

    @Option(help: ArgumentHelp("Folder holding the datasets in the reference's layout.", valueName: "D"))
    var dataLocation: String

    @Option(help: ArgumentHelp("Folder the checkpoints are written under ({M}/{name}/{X}Val/).", valueName: "M"))
    var modelLocation: String

    @Option(help: ArgumentHelp("Folder name of the model under --model-location (default: the open_clip name, or tiny).", valueName: "NAME"))
    var modelName: String?

    @Option(help: ArgumentHelp("Tiny-model mode: random-init encoder WIDTH,LAYERS,HEADS,PATCH,IMAGE[,OUTPUT] (output default width/2).", valueName: "W,L,H,P,S[,D]"))
    var tiny: String?

    @Option(help: "MLP activation of the encoder: quickgelu (the reference's) or gelu.")
    var activation: Activation = .quickGELU

    @Option(help: "Passes over the training set (default: the reference's for the task).")
    var epochs: Int?

    @Option(help: "Optimizer steps instead of epochs (the schedule spans them).")
    var steps: Int?

    @Option(help: "Base learning rate.")
    var lr: Double = 1e-5

    @Option(help: "Linear warmup steps.")
    var warmup: Int = 500

    @Option(help: "AdamW weight decay.")
    var weightDecay: Double = 0.1

    @Option(help: "Label smoothing ε of the cross-entropy.")
    var labelSmoothing: Double = 0

    @Option(help: "Images per batch.")
    var batchSize: Int = 128

    @Option(help: "Batches per optimizer step (the reference uses 2 with batch 64 for ViT-L-14).")
    var gradAccumulation: Int = 1

    @Option(help: "Images per forward/backward pass per core (bounds memory: ~30 MB per image for ViT-B-32).")
    var microBatch: Int = 16

    @Option(help: "Seed of the initialisation (tiny mode), shuffles and crops.")
    var seed: UInt64 = 0

    @Option(help: "Print loss, learning rate and images/s every N steps.")
    var logEvery: Int = 10

    @Option(help: "Save the resumable state every N steps (0: only at the end).")
    var checkpointEvery: Int = 100

    /// The files the encoders are written as.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case pt, safetensors, both
    }

    @Option(help: "Encoder files to write: pt (torch.save state dicts, the reference's files), safetensors, or both.")
    var format: Format = .both

    @Flag(help: "Continue from {X}Val/finetune_state.safetensors when it exists.")
    var resume = false

    @Option(help: ArgumentHelp("Use only the first N training samples (demos).", valueName: "N"))
    var trainLimit: Int?

    @Option(help: ArgumentHelp("Evaluate on only the first N validation samples.", valueName: "N"))
    var valLimit: Int?

    func validate() throws {
        guard (model == nil) != (tiny == nil) else { throw ValidationError("give --model ENCODER or --tiny W,L,H,P,S, exactly one") }
        if let model, encoderFile(model) == nil {
            throw ValidationError("--model \(model): no such file, nor \(modelLocation)/\(model)/MNISTVal/nonlinear_zeroshot.pt or .safetensors")
        }
        if let head, !FileManager.default.fileExists(atPath: head) { throw ValidationError("--head \(head): no such file") }
        if let tiny { _ = try Self.tinyConfig(tiny, activation: activation) }
        for (flag, v) in [("--batch-size", batchSize), ("--grad-accumulation", gradAccumulation), ("--micro-batch", microBatch), ("--log-every", logEvery)] where v <= 0 {
            throw ValidationError("\(flag) must be positive, not \(v)")
        }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive, not \(epochs)") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive, not \(steps)") }
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must not be negative") }
        _ = try TaskName.resolve(task, dataLocation: URL(fileURLWithPath: dataLocation))
    }

    /// `--model` as a file, else the reference's zero-shot copy `{M}/{model}/MNISTVal/nonlinear_zeroshot.{pt,safetensors}`.
    func encoderFile(_ model: String) -> URL? {
        if FileManager.default.fileExists(atPath: model) { return URL(fileURLWithPath: model) }
        return ReferenceLayout.existing(ReferenceLayout(modelLocation: modelLocation, model: model).zeroshotCandidates)
    }

    /// The configuration of `--tiny W,L,H,P,S[,D]`.
    static func tinyConfig(_ text: String, activation: Activation) throws -> VisionTransformerConfig {
        let v = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 5 || v.count == 6, v.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--tiny \(text): expected five or six positive integers WIDTH,LAYERS,HEADS,PATCH,IMAGE[,OUTPUT]")
        }
        let n = v.compactMap { $0 }
        guard n[0] % n[2] == 0 else { throw ValidationError("--tiny \(text): width \(n[0]) does not split into \(n[2]) heads") }
        guard n[4] % n[3] == 0 else { throw ValidationError("--tiny \(text): image \(n[4]) is not a multiple of patch \(n[3])") }
        return VisionTransformerConfig(width: n[0], layers: n[1], heads: n[2], patchSize: n[3], imageSize: n[4],
                                       outputDim: n.count == 6 ? n[5] : max(1, n[0] / 2), activation: activation)
    }

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let taskName = try TaskName.resolve(task, dataLocation: URL(fileURLWithPath: dataLocation))
        let dataset = try TaskLoader.load(taskName, dataLocation: URL(fileURLWithPath: dataLocation))
        printError("task \(taskName.rawValue)Val: \(dataset.count(.train)) train, \(dataset.count(.val)) validation samples")

        // Encoder θ0 and frozen head.
        let trainable: TrainableViT
        var extra: [(String, StoredTensor)] = []
        if let tiny {
            trainable = TrainableViT(config: try Self.tinyConfig(tiny, activation: activation), seed: seed)
        } else if let model {
            guard let url = encoderFile(model) else { throw ValidationError("--model \(model): no such file") }
            let reader = try Checkpoint.open(url)
            trainable = try TrainableViT(reader: reader, activation: activation)
            extra = try trainable.otherTensors(of: reader)
        } else {
            throw ValidationError("give --model ENCODER or --tiny W,L,H,P,S")
        }
        let isName = model.map { !FileManager.default.fileExists(atPath: $0) } ?? false
        let name = modelName ?? (tiny != nil ? "tiny" : isName ? (model ?? "model") : trainable.config.presetName ?? "model")
        let layout = ReferenceLayout(modelLocation: modelLocation, model: name)
        try FileManager.default.createDirectory(at: layout.taskFolder(taskName), withIntermediateDirectories: true)
        let classifier: ClassificationHead
        let defaultHead = ReferenceLayout.existing(layout.headCandidates(taskName))
        if let path = head.map({ URL(fileURLWithPath: $0) }) ?? (tiny == nil ? defaultHead : nil) {
            classifier = try ClassificationHead(checkpoint: path)
            printError("head: \(path.path), \(classifier.classCount) classes")
        } else if tiny == nil {
            throw ValidationError("no --head given and no \(layout.headURL(taskName, format: .pt).path) (the task's frozen zero-shot head; build it with the reference's text encoder)")
        } else {
            let classes = max(dataset.classNames.count, (dataset.samples(.train).map(\.label).max() ?? 0) + 1)
            classifier = try RandomHead.make(classes: classes, dim: trainable.config.outputDim, seed: seed)
            let headURL = layout.headURL(taskName, format: .safetensors)
            try classifier.save(to: headURL)
            printError("head: random, \(classes) classes, saved to \(headURL.path)")
        }
        printError("encoder: \(trainable.config), \(trainable.layout.count) parameters")
        if trainable.config.heads != max(1, trainable.config.width / 64) {
            printError("note: a state dict does not record the head count; readers assume width/64 = \(max(1, trainable.config.width / 64)), this model has \(trainable.config.heads)")
        }

        // Data: the XVal train part (optionally a prefix) and validation part, decoded per batch.
        let train = TrainingSet(samples: Array(dataset.samples(.train).prefix(trainLimit ?? Int.max)))
        let validation = TrainingSet(samples: Array(dataset.samples(.val).prefix(valLimit ?? Int.max)))

        var recipe = FineTuneRecipe(epochs: epochs ?? FineTuneRecipe.epochs(for: taskName))
        recipe.steps = steps
        recipe.learningRate = lr
        recipe.warmup = warmup
        recipe.optimizer.weightDecay = weightDecay
        recipe.labelSmoothing = labelSmoothing
        recipe.batchSize = batchSize
        recipe.gradientAccumulation = gradAccumulation
        recipe.microBatch = microBatch
        recipe.seed = seed
        let tuner = try FineTuner(model: trainable, head: classifier, data: train, recipe: recipe)

        /// Writes the encoder as the `.pt` and/or `.safetensors` file `place` names.
        func write(_ place: (ReferenceLayout.FileFormat) -> URL) throws {
            if format != .safetensors {
                let url = place(.pt)
                try trainable.savePyTorch(to: url, extra: extra)
                printError("wrote \(url.path)")
            }
            if format != .pt {
                let url = place(.safetensors)
                try trainable.save(to: url, extra: extra)
                printError("wrote \(url.path)")
            }
        }
        let state = layout.finetuneStateURL(taskName)
        if resume, FileManager.default.fileExists(atPath: state.path) {
            try tuner.resume(from: state)
            printError("resumed from \(state.path) at step \(tuner.step)/\(tuner.totalSteps)")
        } else {
            try write { layout.zeroshotURL(taskName, format: $0) }
        }
        printError("training: \(tuner.totalSteps) steps of \(batchSize)×\(gradAccumulation) images (\(tuner.batchesPerEpoch) batches per epoch), lr \(lr), warmup \(warmup), \(Parallel.threadCount) workers")
        try tuner.train(logEvery: logEvery, checkpointEvery: checkpointEvery == 0 ? tuner.totalSteps : checkpointEvery,
                        checkpoint: { try $0.saveState(to: state) }) { e in
            print(String(format: "step %d/%d  epoch %d  loss %.4f  acc %.3f  lr %.3e  grad-norm %.3f  %.1f img/s",
                         e.step, e.totalSteps, e.epoch, e.loss, e.accuracy, e.learningRate, e.gradientNorm, e.imagesPerSecond))
            fflush(stdout)
        }
        try write { layout.finetunedURL(taskName, format: $0) }
        let result = try tuner.evaluate(validation)
        print(String(format: "validation accuracy %.4f (%d images), loss %.4f", result.accuracy, validation.count, result.loss))
    }
}
