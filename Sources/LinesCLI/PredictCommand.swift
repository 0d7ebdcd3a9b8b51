import ArgumentParser
import CLIP
import Foundation
import Tensors

/// `lines predict`: top-k classes of images under an encoder and a classification head.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify images with a CLIP ViT image encoder and a zero-shot classification head.",
        discussion: """
        Logits are the reference's ClassificationHead(normalize=True): W · normalize(features) + b, \
        with the logit scale (≈100) already in W. The head is a pickled ClassificationHead \
        (head_{X}Val.pt) or any file with tensors 'weight' [C, D] and 'bias' [C]. Prints the top \
        classes of each image with index (and name, given --class-names), logit and softmax \
        probability.

        Examples:
          lines predict --model ViT-B-32/EuroSATVal/nonlinear_finetuned.pt --head ViT-B-32/head_EuroSATVal.pt img1.jpg img2.png
          lines predict --model encoder.safetensors --head head.safetensors --pixels batch.safetensors --top 3
        """
    )

    @OptionGroup var encoder: EncoderOptions

    @Option(help: ArgumentHelp("Classification head: pickled ClassificationHead .pt or weight/bias safetensors.", valueName: "HEAD"))
    var head: String

    @Argument(help: ArgumentHelp("Image files or folders of images.", valueName: "IMAGE"))
    var images: [String] = []

    @Option(help: ArgumentHelp("Preprocessed float tensor 'pixels' [N, 3, H, W] instead of image files.", valueName: "T.safetensors"))
    var pixels: String?

    @Option(help: "Classes to show per image.")
    var top: Int = 5

    @Option(help: ArgumentHelp("Text file with one class name per line, in the head's class order.", valueName: "FILE"))
    var classNames: String?

    @Flag(help: "Report images that cannot be decoded and go on without them (default: stop at the first).")
    var skipBadImages = false

    func validate() throws {
        guard (pixels == nil) != images.isEmpty else {
            throw ValidationError("give image files (IMAGE…) or --pixels T.safetensors, not both and not neither")
        }
        guard top > 0 else { throw ValidationError("--top must be positive, not \(top)") }
        for (flag, path) in [("--head", head), ("--class-names", classNames), ("--pixels", pixels)] {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(flag) \(path): no such file") }
        }
    }

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let input: EncoderInput = try pixels.map { .pixels(path: $0) } ?? .images(EncoderInput.expand(images))
        if case .images(let files) = input, files.isEmpty {
            throw ValidationError("\(images.joined(separator: " ")): no image files found (looked for \(EncoderInput.imageExtensions.sorted().joined(separator: ", ")))")
        }
        let classifier = try ClassificationHead(checkpoint: URL(fileURLWithPath: head))
        var names: [String]? = nil
        if let classNames {
            let lines = try String(contentsOfFile: classNames, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let list = lines.last == "" ? Array(lines.dropLast()) : lines
            guard list.count == classifier.classCount else {
                throw ValidationError("--class-names \(classNames) has \(list.count) names but head \(head) has \(classifier.classCount) classes")
            }
            names = list
        }
        let model = try encoder.loadEncoder()
        try classifier.validate(for: model)
        let result = try input.encode(with: model, batchSize: encoder.batchSize, skipBadImages: skipBadImages)
        let logits = try classifier.logits(result.features)
        let c = classifier.classCount
        print("activation \(model.config.activation.rawValue), \(classifier.classCount) classes, top \(min(top, c))")
        for (i, label) in result.labels.enumerated() {
            let scores = ClassificationHead.top(top, of: logits.scalars[(i * c)..<((i + 1) * c)])
            print(label)
            for s in scores {
                let name = names.map { " \($0[s.index])" } ?? ""
                print(String(format: "  %5d%@  logit %8.3f  p %.4f", s.index, name, s.logit, s.probability))
            }
        }
    }
}
