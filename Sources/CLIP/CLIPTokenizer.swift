import Checkpoints
import Foundation

/// CLIP's byte-level BPE tokenizer, as `open_clip.tokenize` (OpenAI's `SimpleTokenizer`).
///
/// Text is cleaned by ``CLIPTextCleaner`` (open_clip's default `clean='lower'`), split into words
/// by the pattern `<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (case-insensitive), each word's UTF-8 bytes mapped to printable characters and merged by the
/// ranked BPE merges of `bpe_simple_vocab_16e6.txt.gz` (its first 48,894 merges), the last
/// symbol of a word carrying `</w>`. The vocabulary is the 256 byte symbols, the same with
/// `</w>`, one symbol per merge and the two special tokens: 49,408 ids, start of text 49406,
/// end of text 49407. ``tokenize(_:contextLength:)`` frames the ids with them, truncates to the
/// context (the last kept id becomes the end token) and pads with zeros.
public struct CLIPTokenizer: Sendable {
    /// Number of ids (49,408 with the standard merges file).
    public let vocabularySize: Int
    /// Id of `<start_of_text>`.
    public let startOfText: Int32
    /// Id of `<end_of_text>`, the highest id (open_clip pools the text feature at its position).
    public let endOfText: Int32
    /// Context length of ``tokenize(_:contextLength:)`` (77 for every CLIP model).
    public static let defaultContextLength = 77

    /// Id of each byte's symbol (`byteIDs[b] + 256` with `</w>`).
    let byteIDs: [Int32]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: (rank: Int32, merged: Int32)]

    /// The merges file named by `LINES_CLIP_BPE`, else `bpe_simple_vocab_16e6.txt.gz` next to
    /// `model`, else the copy shipped with Lines (``bundledMergesFile``), as open_clip finds its own.
    ///
    /// - Parameter model: a checkpoint or folder; its folder is searched.
    public static func defaultMergesFile(near model: URL? = nil) -> URL? {
        if let env = ProcessInfo.processInfo.environment["LINES_CLIP_BPE"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return mergesFile(near: model) ?? bundledMergesFile
    }

    /// `bpe_simple_vocab_16e6.txt.gz` in `model`'s folder (or in `model`, a folder), if present.
    public static func mergesFile(near model: URL?) -> URL? {
        guard let model else { return nil }
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: model.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? model : model.deletingLastPathComponent()
        let candidate = folder.appendingPathComponent(mergesFileName)
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    /// The merges file's name, as open_clip and OpenAI's CLIP ship it.
    public static let mergesFileName = "bpe_simple_vocab_16e6.txt.gz"

    /// The copy of open_clip's merges file shipped as a resource of this module (MIT licence,
    /// `LICENSE-open_clip.txt` beside it): in the resource bundle next to the executable
    /// (`Lines_CLIP.resources/`), else in the source tree Lines was built from; `nil` when neither
    /// is there (an executable copied away from its bundle).
    public static let bundledMergesFile: URL? = {
        let bundles = ["Lines_CLIP.resources", "Lines_CLIP.bundle/Contents/Resources", "Lines_CLIP.bundle"]
        var folders: [URL] = []
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            folders += bundles.map { exe.appendingPathComponent($0) }
        }
        folders += bundles.map { Bundle.main.bundleURL.appendingPathComponent($0) }
        folders.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources"))
        return folders.map { $0.appendingPathComponent(mergesFileName) }
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }()

    /// Loads the merges from `bpe_simple_vocab_16e6.txt.gz` (gzip or plain text).
    /// - Throws: ``CLIPError/badMergesFile(path:reason:)`` when it cannot be read or parsed.
    public init(mergesFile url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLIPError.badMergesFile(path: url.path, reason: "it cannot be read (\((error as NSError).localizedDescription))")
        }
        var bytes = [UInt8](data)
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            do {
                bytes = try Gzip.inflate(bytes, zlibWrapper: false)
            } catch {
                throw CLIPError.badMergesFile(path: url.path, reason: "it starts as gzip but does not inflate (truncated or corrupt: \(error.reason))")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIPError.badMergesFile(path: url.path, reason: "it is not UTF-8 text")
        }
        try self.init(merges: text, source: url.path)
    }

    /// Builds the tokenizer from the text of a merges file: a header line, then one `left right`
    /// pair per line, best first; the first 48,894 pairs are used, as open_clip does.
    /// - Throws: ``CLIPError/badMergesFile(path:reason:)`` naming `source`.
    public init(merges text: String, source: String = "merges") throws {
        let mergeCount = 49152 - 256 - 2
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix(mergeCount)
        guard !lines.isEmpty else {
            throw CLIPError.badMergesFile(path: source, reason: "it has no merge lines after the header")
        }
        // bytes_to_unicode: printable bytes keep their code point, the rest map to 256 + n.
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        let printableSet = Set(printable)
        let order = printable + (0...255).filter { !printableSet.contains($0) }
        var symbolOfByte = [Unicode.Scalar](repeating: " ", count: 256)
        var extra: UInt32 = 256
        for b in 0...255 {
            if printableSet.contains(b) {
                symbolOfByte[b] = Unicode.Scalar(UInt8(b))
            } else {
                symbolOfByte[b] = Unicode.Scalar(extra) ?? " "
                extra += 1
            }
        }
        var vocabulary: [String] = order.map { String(symbolOfByte[$0]) }
        vocabulary += vocabulary.map { $0 + "</w>" }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(lines.count)
        for (n, line) in lines.enumerated() where !line.isEmpty {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard parts.count == 2 else {
                throw CLIPError.badMergesFile(path: source, reason: "line \(n + 2) is '\(line.prefix(40))', not a pair of symbols")
            }
            pairs.append((String(parts[0]), String(parts[1])))
            vocabulary.append(String(parts[0]) + String(parts[1]))
        }
        vocabulary += ["<start_of_text>", "<end_of_text>"]
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (id, token) in vocabulary.enumerated() { ids[token] = Int32(id) }

        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        merges.reserveCapacity(pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let l = ids[left], let r = ids[right], let m = ids[left + right] else {
                throw CLIPError.badMergesFile(path: source, reason: "merge \(rank + 1) ('\(left) \(right)') uses a symbol no earlier merge makes")
            }
            merges[UInt64(UInt32(l)) << 32 | UInt64(UInt32(r))] = (Int32(rank), m)
        }
        var byteIDs = [Int32](repeating: 0, count: 256)
        for (id, b) in order.enumerated() { byteIDs[b] = Int32(id) }
        self.byteIDs = byteIDs
        self.merges = merges
        self.vocabularySize = vocabulary.count
        self.startOfText = ids["<start_of_text>"] ?? Int32(vocabulary.count - 2)
        self.endOfText = ids["<end_of_text>"] ?? Int32(vocabulary.count - 1)
    }

    /// The BPE ids of `text` without start and end tokens (open_clip's `SimpleTokenizer.encode`).
    public func encode(_ text: String) -> [Int32] {
        var cache: [String: [Int32]] = [:]
        return encode(text, cache: &cache)
    }

    /// The ids of each text framed by the start and end tokens, truncated to `contextLength`
    /// (keeping the end token last) and zero-padded: open_clip's `tokenize`, row by row.
    public func tokenize(_ texts: [String], contextLength: Int = defaultContextLength) -> [[Int32]] {
        precondition(contextLength >= 2, "contextLength must hold the start and end tokens")
        var cache: [String: [Int32]] = [:]
        return texts.map { text in
            var ids = [startOfText] + encode(text, cache: &cache) + [endOfText]
            if ids.count > contextLength {
                ids.removeLast(ids.count - contextLength)
                ids[contextLength - 1] = endOfText
            }
            return ids + [Int32](repeating: 0, count: contextLength - ids.count)
        }
    }

    func encode(_ text: String, cache: inout [String: [Int32]]) -> [Int32] {
        let cleaned = Array(CLIPTextCleaner.clean(text).unicodeScalars)
        var out: [Int32] = []
        for word in _CLIPWordSplitter.words(cleaned) {
            let key = String(String.UnicodeScalarView(word))
            if key == "<start_of_text>" { out.append(startOfText); continue }
            if key == "<end_of_text>" { out.append(endOfText); continue }
            if let hit = cache[key] { out += hit; continue }
            let ids = bpe(Array(key.utf8))
            cache[key] = ids
            out += ids
        }
        return out
    }

    /// Merges the byte symbols of one word, lowest-ranked pair first, every occurrence left to right.
    func bpe(_ bytes: [UInt8]) -> [Int32] {
        guard !bytes.isEmpty else { return [] }
        var word = bytes.map { byteIDs[Int($0)] }
        word[word.count - 1] += 256
        while word.count > 1 {
            var best: (rank: Int32, merged: Int32)? = nil
            var bestPair: UInt64 = 0
            for i in 0..<(word.count - 1) {
                let key = UInt64(UInt32(word[i])) << 32 | UInt64(UInt32(word[i + 1]))
                if let m = merges[key], best.map({ m.rank < $0.rank }) ?? true { best = m; bestPair = key }
            }
            guard let merge = best else { break }
            let left = Int32(truncatingIfNeeded: bestPair >> 32), right = Int32(truncatingIfNeeded: bestPair & 0xFFFF_FFFF)
            var next: [Int32] = []
            next.reserveCapacity(word.count)
            var i = 0
            while i < word.count {
                if i + 1 < word.count, word[i] == left, word[i + 1] == right {
                    next.append(merge.merged)
                    i += 2
                } else {
                    next.append(word[i])
                    i += 1
                }
            }
            word = next
        }
        return word
    }
}
