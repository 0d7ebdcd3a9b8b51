import ArgumentParser
import CLIP
import Foundation

/// `lines tokenize`: CLIP token ids of texts, as `open_clip.tokenize`.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the CLIP token ids of each text (open_clip.tokenize), one line per text.",
        discussion: """
        Each line holds the context length (77) of space-separated ids: 49406 (start of text), \
        the BPE ids of the cleaned, lower-cased text, 49407 (end of text), zeros; longer texts \
        are cut to 76 ids plus the end token.

        Examples:
          lines tokenize "a photo of a dog." "a photo of a cat."          # open_clip's merges, shipped
          lines tokenize --bpe bpe_simple_vocab_16e6.txt.gz "a photo of a dog."
          LINES_CLIP_BPE=bpe_simple_vocab_16e6.txt.gz lines tokenize "hello world"
        """
    )

    @OptionGroup var tokenizer: TokenizerOptions

    @Option(help: "Ids per text (start and end tokens included).")
    var contextLength: Int = CLIPTokenizer.defaultContextLength

    @Argument(help: ArgumentHelp("Texts to tokenize.", valueName: "TEXT"))
    var texts: [String]

    func validate() throws {
        guard contextLength >= 2 else { throw ValidationError("--context-length must be at least 2, not \(contextLength)") }
        guard !texts.isEmpty else { throw ValidationError("give at least one TEXT") }
    }

    func run() throws {
        print(try lines().joined(separator: "\n"))
    }

    /// One line of ids per text.
    func lines() throws -> [String] {
        try tokenizer.loadTokenizer().tokenize(texts, contextLength: contextLength)
            .map { $0.map(String.init).joined(separator: " ") }
    }
}
