import ArgumentParser
import CLIP
import Checkpoints
import Foundation
import Tensors

/// `lines embed`: image features of an encoder, written as a safetensors tensor.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute image features with a CLIP ViT image encoder and save them as safetensors.",
        discussion: """
        Writes one tensor 'features' [N, D] float32 (the encoder's output before any \
        normalisation, as open_clip's encode_image), with the activation and encoder recorded in \
        the file's metadata. --pixels takes an already preprocessed tensor 'pixels' [N, 3, S, S] \
        (CLIP mean/std normalised, S = the model's image size); --images takes image files or \
        folders of them (sorted by name), decoded, resized (bicubic), center-cropped and \
        normalised as open_clip's eval transform.

        Examples:
          lines embed --model ViT-B-32/MNISTVal/nonlinear_zeroshot.pt --images photos/ -o features.safetensors
          lines embed --model encoder.safetensors --pixels batch.safetensors -o features.safetensors --activation gelu
        """
    )

    @OptionGroup var encoder: EncoderOptions

    @Option(help: ArgumentHelp("Preprocessed float tensor 'pixels' [N, 3, H, W] in a safetensors file.", valueName: "T.safetensors"))
    var pixels: String?

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Image files or folders of images.", valueName: "DIR|FILES"))
    var images: [String] = []

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output safetensors file.", valueName: "F.safetensors"))
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    @Flag(help: "Report images that cannot be decoded and go on without them (default: stop at the first).")
    var skipBadImages = false

    func validate() throws {
        guard (pixels == nil) != images.isEmpty else {
            throw ValidationError("give exactly one of --pixels T.safetensors or --images DIR|FILES")
        }
        if let pixels, !FileManager.default.fileExists(atPath: pixels) {
            throw ValidationError("--pixels \(pixels): no such file")
        }
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "-o")
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let input: EncoderInput = try pixels.map { .pixels(path: $0) } ?? .images(EncoderInput.expand(images))
        if case .images(let files) = input, files.isEmpty {
            throw ValidationError("--images \(images.joined(separator: " ")): no image files found")
        }
        let model = try encoder.loadEncoder()
        let result = try input.encode(with: model, batchSize: encoder.batchSize, skipBadImages: skipBadImages)
        try SafetensorsWriter.save(
            [("features", StoredTensor(result.features))],
            metadata: ["format": "pt", "activation": model.config.activation.rawValue, "encoder": encoder.model,
                       "model": model.config.presetName ?? "ViT"],
            to: URL(fileURLWithPath: output))
        let rate = Double(result.labels.count) / max(result.seconds, 1e-9)
        print("wrote \(output): features \(result.features.shape) (activation \(model.config.activation.rawValue), \(String(format: "%.1f", rate)) images/s)")
    }
}
