import ArgumentParser
import CLIP
import Foundation

/// Options shared by the commands that run a ViT image encoder.
struct EncoderOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Image encoder checkpoint (reference .pt state dict, safetensors, sharded folder).", valueName: "ENCODER"))
    var model: String

    @Option(help: "MLP activation: quickgelu (what the reference's OpenAI checkpoints were trained with) or gelu (exact erf).")
    var activation: Activation = .quickGELU

    @Option(help: "Images per forward pass.")
    var batchSize: Int = 32

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, not \(batchSize)") }
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("--model \(model): no such file or folder")
        }
    }

    /// Loads the encoder and prints its configuration (activation included) and the load time on stderr.
    func loadEncoder() throws -> VisionTransformer {
        let start = Date()
        let encoder = try VisionTransformer(checkpoint: URL(fileURLWithPath: model), activation: activation)
        printError("encoder \(model): \(encoder.config) (loaded in \(String(format: "%.2f", Date().timeIntervalSince(start))) s)")
        return encoder
    }
}
