import ArgumentParser
import Checkpoints
import Foundation
import Tensors

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert any checkpoint to a safetensors file or a sharded safetensors folder.",
        discussion: """
        The output is written under a temporary name and renamed into place only when complete. \
        An OUTPUT ending in .safetensors is one file (unless --max-shard-size is given); anything \
        else is a folder of Hugging Face shards (model-00001-of-0000N.safetensors + \
        model.safetensors.index.json). The bytes equal what safetensors.torch.save_file writes \
        for the same tensors.

        Examples:
          lines convert finetuned.pt finetuned.safetensors
          lines convert finetuned.pt finetuned-bf16.safetensors --dtype bf16
          lines convert llama.safetensors llama-sharded --max-shard-size 2GB
        """
    )

    @Argument(help: "Input checkpoint (.safetensors, sharded folder or index, .pt/.pth/.bin).")
    var input: String

    @Argument(help: "Output .safetensors file or folder.")
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    @Option(help: "Cast floating-point tensors to this dtype: f32, f16, bf16, f64 (integers and bools are kept).")
    var dtype: String?

    @Option(help: "Largest shard in bytes (suffixes KB, MB, GB: powers of 1000; KiB, MiB, GiB: of 1024).")
    var maxShardSize: String?

    func validate() throws {
        if let dtype {
            guard let d = DType(userName: dtype), d.isFloatingPoint, d.isConvertible else {
                throw ValidationError("--dtype '\(dtype)' is not one of f32, f16, bf16, f64")
            }
        }
        if let maxShardSize, ByteSize.parse(maxShardSize) == nil {
            throw ValidationError("--max-shard-size '\(maxShardSize)' is not a size like 5GB, 500MB or 1000000")
        }
        if URL(fileURLWithPath: input).standardizedFileURL == URL(fileURLWithPath: output).standardizedFileURL {
            throw ValidationError("input and output are the same path")
        }
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "the output")
        let reader = try Checkpoint.open(URL(fileURLWithPath: input))
        let bar = ProgressBar("convert", total: reader.tensors.count)
        try CheckpointConverter.convert(
            reader, to: URL(fileURLWithPath: output),
            dtype: dtype.flatMap(DType.init(userName:)),
            maxShardSize: maxShardSize.flatMap(ByteSize.parse),
            progress: { done, _ in bar.update(done) })
        print("wrote \(output): \(reader.tensors.count) tensors, \(CheckpointSummary.humanCount(reader.parameterCount)) parameters")
    }
}

/// Parses byte sizes like `5GB`, `500MB`, `2GiB`, `1000`.
enum ByteSize {
    static func parse(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("TIB", 1 << 40),
                                      ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000),
                                      ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("B", 1)]
        for (u, m) in units where t.hasSuffix(u) {
            guard let v = Double(t.dropLast(u.count).trimmingCharacters(in: .whitespaces)), v > 0 else { return nil }
            return Int(v * Double(m))
        }
        guard let v = Int(t), v > 0 else { return nil }
        return v
    }
}
