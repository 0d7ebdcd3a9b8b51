import ArgumentParser
import CLIP
import Foundation

/// The `--bpe` option of the commands that tokenize text.
struct TokenizerOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "CLIP's BPE merges file, bpe_simple_vocab_16e6.txt.gz (from open_clip or OpenAI CLIP). Default: $LINES_CLIP_BPE, else that file next to --model, else the copy shipped with Lines (open_clip's).",
        valueName: "PATH"))
    var bpe: String?

    func validate() throws {
        if let bpe, !FileManager.default.fileExists(atPath: bpe) {
            throw ValidationError("--bpe \(bpe): no such file")
        }
    }

    /// Loads the tokenizer from `--bpe`, `LINES_CLIP_BPE` or the model's folder.
    func loadTokenizer(near model: URL? = nil) throws -> CLIPTokenizer {
        guard let url = bpe.map({ URL(fileURLWithPath: $0) }) ?? CLIPTokenizer.defaultMergesFile(near: model) else {
            let where_ = model.map { " nor next to \($0.path)" } ?? ""
            throw ValidationError("no BPE merges file: found no LINES_CLIP_BPE\(where_), and the copy shipped with Lines (Lines_CLIP.resources next to the executable) is missing; pass --bpe PATH to bpe_simple_vocab_16e6.txt.gz")
        }
        return try CLIPTokenizer(mergesFile: url)
    }
}
