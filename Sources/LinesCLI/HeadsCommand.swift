import ArgumentParser
import CLIP
import Checkpoints
import Datasets
import Foundation
import Tensors

/// `lines heads`: zero-shot classification heads built from class names and templates.
struct Heads: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build zero-shot classification heads from the tasks' class names and prompt templates.",
        discussion: """
        As the reference's build_classification_head: each class's templates are encoded by the \
        CLIP text encoder, L2-normalised, averaged and L2-normalised, and the stacked class vectors \
        are scaled by exp(logit_scale). Writes safetensors with 'weight' [classes, dim] and a zero \
        'bias' [classes], loadable wherever a head_{X}Val.pt is (lines predict --head). --model \
        must hold the text tower (a CLIP state dict such as open_clip's; the reference's \
        nonlinear_zeroshot.pt encoders do not). DTD, SUN397, CIFAR100, Food101, OxfordIIITPet and \
        Cars read their class names from the data (--data-location) unless --class-names gives them.

        Examples:
          lines heads --model ViT-B-32-quickgelu.safetensors --task MNIST -o head_MNISTVal.safetensors
          lines heads --model clip.safetensors --all --data-location ~/data -o heads/
        """
    )

    @Option(help: ArgumentHelp("CLIP checkpoint with the text tower (token_embedding, transformer, ln_final, text_projection, logit_scale).", valueName: "CLIP"))
    var model: String

    @Option(name: .customLong("task"), help: ArgumentHelp("Task name (repeatable), e.g. MNIST or MNISTVal.", valueName: "X"))
    var tasks: [String] = []

    @Flag(help: "All 20 tasks.")
    var all = false

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp(
        "Output: a .safetensors file for one task, else a folder receiving head_{X}Val.safetensors per task.", valueName: "PATH"))
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    @OptionGroup var tokenizer: TokenizerOptions

    @Option(help: "MLP activation of the text tower: quickgelu (OpenAI CLIP weights, as the reference) or gelu.")
    var activation: Activation = .quickGELU

    @Option(help: ArgumentHelp("The reference's data_location, for the tasks whose class names come from the data.", valueName: "DIR"))
    var dataLocation: String?

    @Option(help: ArgumentHelp(
        "Class names, one per line in label order: a text file (one task), or a folder of {X}.txt files (any task; others as usual).",
        valueName: "PATH"))
    var classNames: String?

    @Option(help: "logit_scale to use instead of the checkpoint's (the head is scaled by its exponential).")
    var logitScale: Float?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: model) else { throw ValidationError("--model \(model): no such file or folder") }
        guard all != !tasks.isEmpty else { throw ValidationError("give --task X (repeatable) or --all, not both and not neither") }
        let selected = try parsedTasks()
        if selected.count > 1 && output.hasSuffix(".safetensors") {
            throw ValidationError("-o \(output) is a file but \(selected.count) tasks were asked for; give a folder")
        }
        if let classNames {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: classNames, isDirectory: &isDir) else {
                throw ValidationError("--class-names \(classNames): no such file or folder")
            }
            if !isDir.boolValue && selected.count > 1 {
                throw ValidationError("--class-names \(classNames) is one file but \(selected.count) tasks were asked for; give a folder of {X}.txt files")
            }
        }
        let needData = selected.filter { $0.classNames.promptNames == nil && classNamesFile(for: $0) == nil }
        if !needData.isEmpty && dataLocation == nil {
            throw ValidationError("\(needData.map(\.rawValue).joined(separator: ", ")) read their class names from the data: pass --data-location DIR or --class-names")
        }
        if let dataLocation {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataLocation, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--data-location \(dataLocation) is not a folder")
            }
        }
    }

    func parsedTasks() throws -> [TaskName] {
        if all { return TaskName.allCases }
        return try tasks.map { name in
            do { return try TaskName(named: name) } catch {
                throw ValidationError("--task \(name): unknown task; known: \(TaskName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    /// The `--class-names` file that gives `task`'s names, if any.
    func classNamesFile(for task: TaskName) -> URL? {
        guard let classNames else { return nil }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: classNames, isDirectory: &isDir) else { return nil }
        guard isDir.boolValue else { return URL(fileURLWithPath: classNames) }
        let file = URL(fileURLWithPath: classNames).appendingPathComponent("\(task.rawValue).txt")
        return FileManager.default.fileExists(atPath: file.path) ? file : nil
    }

    /// The texts that stand for `task`'s classes in its templates: `--class-names`, the shipped
    /// names (FER2013's as the reference formats its lists), or the names read from the data.
    func promptNames(for task: TaskName) throws -> [String] {
        if let file = classNamesFile(for: task) {
            let text: String
            do { text = try String(contentsOf: file, encoding: .utf8) } catch {
                throw ValidationError("--class-names \(file.path): cannot be read as UTF-8 text")
            }
            let names = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.trimmingCharacters(in: .newlines)) }
            let trimmed = Array(names.reversed().drop { $0.isEmpty }.reversed())
            guard !trimmed.isEmpty, !trimmed.contains("") else {
                throw ValidationError("--class-names \(file.path): expected one non-empty class name per line")
            }
            return trimmed
        }
        return try task.promptNames(dataLocation: dataLocation.map { URL(fileURLWithPath: $0) })
    }

    /// Where the head of `task` goes.
    func destination(for task: TaskName, count: Int) -> URL {
        if count == 1 && output.hasSuffix(".safetensors") { return URL(fileURLWithPath: output) }
        return URL(fileURLWithPath: output).appendingPathComponent("head_\(task.rawValue)Val.safetensors")
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "-o")
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let selected = try parsedTasks()
        let modelURL = URL(fileURLWithPath: model)
        let tokenizer = try tokenizer.loadTokenizer(near: modelURL)
        let encoder = try TextTransformer(checkpoint: modelURL, activation: activation)
        printError("text encoder \(model): \(encoder.config)")
        let builder = try ZeroShotHeadBuilder(encoder: encoder, tokenizer: tokenizer, logitScale: logitScale)
        if !(selected.count == 1 && output.hasSuffix(".safetensors")) {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: output), withIntermediateDirectories: true)
        }
        let start = Date()
        for task in selected {
            let names = try promptNames(for: task)
            let t0 = Date()
            let head = try builder.head(classNames: names, templates: task.templates)
            let url = destination(for: task, count: selected.count)
            try head.save(to: url, metadata: ["format": "pt", "task": task.rawValue, "model": model, "activation": activation.rawValue,
                                              "templates": String(task.templates.count), "logit_scale": String(builder.logitScale)])
            print(String(format: "wrote %@: %@ %d classes × %d templates (%.2fs)", url.path, task.rawValue,
                         names.count, task.templates.count, Date().timeIntervalSince(t0)))
        }
        printError(String(format: "%d heads in %.2fs", selected.count, Date().timeIntervalSince(start)))
    }
}
