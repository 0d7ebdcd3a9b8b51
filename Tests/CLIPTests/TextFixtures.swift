import Foundation
import CLIP

// Fixtures written by `python3 Scripts/fixtures/text_fixtures.py` (open_clip 3.3.0, ftfy 6.3.1).
let textFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/text")

func textFixture(_ name: String) -> URL { textFixtures.appendingPathComponent(name) }

/// CLIP's `bpe_simple_vocab_16e6.txt.gz`: `LINES_CLIP_BPE`, else the project's shared copy
/// (`../shared/data/clip-bpe/` beside the repository), else the copy the CLIP module ships.
let sharedMergesFile: URL? = {
    if let env = ProcessInfo.processInfo.environment["LINES_CLIP_BPE"], FileManager.default.fileExists(atPath: env) {
        return URL(fileURLWithPath: env)
    }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz")
    return FileManager.default.fileExists(atPath: shared.path) ? shared : CLIPTokenizer.bundledMergesFile
}()

/// One string of the tokenizer corpus and open_clip's ids for it (trailing zeros dropped).
struct TokenizerCase: Decodable {
    var text: String
    var ids: [Int32]
}

struct TokenizerCorpus: Decodable {
    var skipped_mojibake: Int
    var cases: [TokenizerCase]

    static func load() throws -> TokenizerCorpus {
        try JSONDecoder().decode(TokenizerCorpus.self, from: Data(contentsOf: textFixture("tokenizer_corpus.json")))
    }
}
