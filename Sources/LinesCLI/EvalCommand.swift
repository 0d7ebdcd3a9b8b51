import Tensors
import ArgumentParser
import CLIP
import Datasets
import Evaluation
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate one image encoder on one task's split (the reference's eval_single_task.py).",
        discussion: """
        Prints the top-1 accuracy as the reference keys it ("MNISTVal:top1" for validation,
        "MNIST:top1" for test). Without --head, the head is looked up where the reference keeps it
        for a model at {model_location}/{model}/{X}Val/nonlinear_finetuned.pt:
        {model_location}/{model}/head_{X}Val.pt (or .safetensors).

          lines eval --model ckpt/ViT-B-32/MNISTVal/nonlinear_finetuned.pt --task MNIST --data-location ~/data
        """
    )

    @OptionGroup var encoder: EncoderOptions

    @Option(help: "Task name (MNIST, Cars, …; a trailing Val is accepted).")
    var task: String

    @Option(help: "Split: val (the XVal validation part) or test.")
    var split: String = "test"

    @Option(help: "Classification head (pickled head_{X}Val.pt or safetensors).")
    var head: String?

    @Option(help: "The reference's data_location folder.")
    var dataLocation: String

    @Option(help: "Folder for the decoded-pixel cache (default ~/.cache/lines/decoded).")
    var cacheDir: String?

    @Flag(help: "Print a JSON object instead of a sentence.")
    var json = false

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let taskName: TaskName
        let location = URL(fileURLWithPath: (dataLocation as NSString).expandingTildeInPath)
        do { taskName = try TaskName.resolve(task, dataLocation: location) } catch { throw ValidationError("\(error)") }
        guard split == "val" || split == "test" else { throw ValidationError("--split must be val or test, not \(split)") }
        let validation = split == "val"
        let modelURL = URL(fileURLWithPath: encoder.model)
        let headURL: URL
        if let head {
            headURL = URL(fileURLWithPath: head)
        } else {
            let folder = modelURL.deletingLastPathComponent().deletingLastPathComponent()
            let candidates = ["pt", "safetensors"].map { folder.appendingPathComponent("head_\(taskName.rawValue)Val.\($0)") }
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw ValidationError("No --head given and no head next to the model: looked for \(candidates.map(\.path).joined(separator: " and ")).")
            }
            headURL = found
        }
        let dataset = try TaskLoader.load(taskName, dataLocation: location)
        let cache = cacheDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lines/decoded")
        let which: DatasetSplit = validation ? .val : .test
        let decoded = try DecodeCache.load(dataset, split: which, directory: cache, bestEffort: true).split
        let vit = try encoder.loadEncoder()
        let classifier = try ClassificationHead(checkpoint: headURL)
        let name = taskName.rawValue + (validation ? "Val" : "")
        let bar = ProgressBar(name, total: decoded.images.count, unit: "images")
        let start = Date()
        let acc = try Evaluator.accuracy(encoder: vit, head: classifier, split: decoded, batchSize: encoder.batchSize) { bar.update($0) }
        let seconds = Date().timeIntervalSince(start)
        if json {
            print("{\"\(name):top1\": \(acc.top1)}")
        } else {
            print(String(format: "%@:top1 = %.4f (%d/%d correct, %.1f images/s)", name, acc.top1, acc.correct, acc.count,
                         seconds > 0 ? Double(acc.count) / seconds : 0))
        }
    }
}
