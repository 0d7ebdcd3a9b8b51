import ArgumentParser
import Checkpoints
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a checkpoint: format, tensors, parameters, dtypes, architecture and layer map.",
        discussion: """
        Reads only the header or pickle index; tensor data is not loaded. Formats: .safetensors, \
        sharded folders or *.safetensors.index.json / pytorch_model.bin.index.json, torch.save \
        .pt/.pth/.bin zip archives (state dicts and whole pickled modules, read without executing \
        any pickle code).

        The layer map says which keys belong to which residual block (what LiNeS scales by depth) \
        and which lie outside the blocks (scaled by α). Known layouts: open_clip ViT \
        (visual.transformer.resblocks.{i}.), Hugging Face CLIP (encoder.layers.{i}.), decoder LLMs \
        (model.layers.{i}.), T5 (block.{i}.).

        Examples:
          lines inspect ViT-B-32/EuroSATVal/nonlinear_finetuned.pt
          lines inspect llama/ --json
          lines inspect model.safetensors --layer-pattern 'blocks\\.(\\d+)\\.'
        """
    )

    @Argument(help: "Checkpoint file or folder.")
    var path: String

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    @Flag(name: .shortAndLong, help: "List every tensor with dtype, shape and block.")
    var verbose = false

    @Option(help: "Regular expression with one capture group holding the block index; overrides detection.")
    var layerPattern: String?

    func run() throws {
        let reader = try Checkpoint.open(URL(fileURLWithPath: path))
        let summary = try CheckpointSummary(reader: reader, layerPattern: layerPattern)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(summary), as: UTF8.self))
        } else {
            print(summary.text(verbose: verbose))
        }
    }
}
