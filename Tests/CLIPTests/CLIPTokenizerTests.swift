import Foundation
import Testing
@testable import CLIP

/// Token ids against `open_clip.tokenize` (open_clip 3.3.0 with ftfy 6.3.1) on the fixture corpus.
@Suite("CLIP tokenizer parity with open_clip",
       .enabled(if: sharedMergesFile != nil, "needs bpe_simple_vocab_16e6.txt.gz: set LINES_CLIP_BPE or provide ../shared/data/clip-bpe/"))
struct CLIPTokenizerTests {
    static let tokenizer: CLIPTokenizer? = sharedMergesFile.flatMap { try? CLIPTokenizer(mergesFile: $0) }

    func tokenizer() throws -> CLIPTokenizer {
        try #require(Self.tokenizer, "the merges file did not load")
    }

    @Test("the standard merges file gives 49,408 ids, start 49406, end 49407")
    func vocabulary() throws {
        let t = try tokenizer()
        #expect(t.vocabularySize == 49408)
        #expect(t.startOfText == 49406)
        #expect(t.endOfText == 49407)
    }

    @Test("identical ids to open_clip.tokenize on every string of the corpus (>= 1,000, all 20 tasks' prompts)")
    func corpus() throws {
        let t = try tokenizer()
        let corpus = try TokenizerCorpus.load()
        #expect(corpus.cases.count >= 1000)
        let rows = t.tokenize(corpus.cases.map(\.text))
        var failures: [String] = []
        for (c, row) in zip(corpus.cases, rows) {
            #expect(row.count == 77)
            let expected = c.ids + [Int32](repeating: 0, count: 77 - c.ids.count)
            if row != expected {
                failures.append("\(c.text.debugDescription): \(row.prefix(c.ids.count + 2)) vs \(c.ids)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(corpus.cases.count) differ, e.g. \(failures.prefix(5).joined(separator: "; "))")
    }

    @Test("long texts keep 76 ids and end with the end token")
    func truncation() throws {
        let t = try tokenizer()
        let row = t.tokenize([String(repeating: "dog ", count: 200)])[0]
        #expect(row.count == 77)
        #expect(row[0] == t.startOfText && row[76] == t.endOfText)
        #expect(!row.contains(0))
    }

    @Test("a missing or corrupt merges file is a clear error")
    func badFile() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/bpe.txt.gz")
        #expect(throws: CLIPError.self) { try CLIPTokenizer(mergesFile: missing) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let truncated = dir.appendingPathComponent("bpe.txt.gz")
        try Data([0x1F, 0x8B, 0x08, 0x00, 1, 2, 3]).write(to: truncated)
        #expect(throws: CLIPError.self) { try CLIPTokenizer(mergesFile: truncated) }
        #expect(throws: CLIPError.self) { try CLIPTokenizer(merges: "#version\nno_pair_here\n") }
    }
}

/// Finding the merges file when no path is given.
@Suite("CLIP merges file lookup")
struct CLIPMergesLookupTests {
    @Test("bpe_simple_vocab_16e6.txt.gz next to the model (file or folder) is found; nothing else is",
          .enabled(if: ProcessInfo.processInfo.environment["LINES_CLIP_BPE"] == nil, "LINES_CLIP_BPE overrides the lookup"))
    func nearModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-bpe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("clip.safetensors")
        // Nothing next to the model: the shipped copy.
        let bundled = try #require(CLIPTokenizer.bundledMergesFile)
        #expect(CLIPTokenizer.defaultMergesFile(near: model) == bundled)
        let bpe = dir.appendingPathComponent("bpe_simple_vocab_16e6.txt.gz")
        try Data("#version\nt h\n".utf8).write(to: bpe)
        #expect(CLIPTokenizer.defaultMergesFile(near: model)?.path == bpe.path)
        #expect(CLIPTokenizer.defaultMergesFile(near: dir)?.path == bpe.path)
        #expect(CLIPTokenizer.defaultMergesFile(near: nil) == bundled)
        // A plain-text merges file under the gzip name still loads.
        #expect(try CLIPTokenizer(mergesFile: bpe).vocabularySize == 515)
    }

    @Test("the shipped merges file is open_clip's: its vocabulary and its ids for a sentence")
    func shipped() throws {
        let url = try #require(CLIPTokenizer.bundledMergesFile)
        let tokenizer = try CLIPTokenizer(mergesFile: url)
        #expect(tokenizer.vocabularySize == 49_408)
        // open_clip.tokenize(["a photo of a cat."])[0][:8]
        #expect(Array(tokenizer.tokenize(["a photo of a cat."])[0].prefix(8)) == [49406, 320, 1125, 539, 320, 2368, 269, 49407])
    }
}

/// The cleaning steps that open_clip borrows from ftfy and Python's `html` module.
@Suite("CLIP text cleaning")
struct CLIPTextCleanerTests {
    @Test("entities, quotes, widths, ligatures, final sigma and whitespace as open_clip cleans them",
          arguments: [
            ("Caf&eacute; &amp;amp; &lt;b&gt;", "café & <b>"),
            ("&ldquo;Hi&rdquo; ﬁne", "\"hi\" fine"),
            ("Ｆｕｌｌ\u{3000}width", "full width"),
            ("  tabs\tand\nlines\r\n", "tabs and lines"),
            ("ΟΔΥΣΣΕΥΣ", "οδυσσευς"),
            ("\u{1B}[31mred\u{1B}[0m", "red"),
            ("cafe\u{301}", "café"),
            ("&#x110000;&#0;", "\u{FFFD}\u{FFFD}"),
            ("\u{1C89}ABC", "\u{1C89}abc"),
          ])
    func cleaning(input: String, expected: String) {
        #expect(CLIPTextCleaner.clean(input) == expected)
    }
}

/// The tokenizer's Unicode classes and lower-casing over every code point, against Python.
@Suite("Unicode tables against Python's")
struct CLIPUnicodeTests {
    struct Tables: Decodable {
        var letters: [[UInt32]]
        var numbers: [[UInt32]]
        var lower: [String: String]
        var clean: [String: String]
    }

    @Test("\\p{L}, \\p{N} (the regex module) and str.lower() agree on all 1,112,064 code points")
    func everyCodePoint() throws {
        let t = try JSONDecoder().decode(Tables.self, from: Data(contentsOf: textFixture("unicode_classes.json")))
        func member(_ ranges: [[UInt32]]) -> Set<UInt32> {
            var s = Set<UInt32>()
            for r in ranges where r.count == 2 { for v in r[0]...r[1] { s.insert(v) } }
            return s
        }
        let letters = member(t.letters), numbers = member(t.numbers)
        var letterDiffs: [UInt32] = [], numberDiffs: [UInt32] = [], lowerDiffs: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            guard let c = Unicode.Scalar(v) else { continue }
            if _CLIPWordSplitter.isLetter(c) != letters.contains(v) { letterDiffs.append(v) }
            if _CLIPWordSplitter.isNumber(c) != numbers.contains(v) { numberDiffs.append(v) }
            guard v != 0x3A3 else { continue }  // Σ depends on its neighbours
            let mine = String(String.UnicodeScalarView(CLIPTextCleaner.lowercased([c])))
            if mine != (t.lower[String(v)] ?? String(c)) { lowerDiffs.append(v) }
        }
        let hex = { (v: [UInt32]) in v.prefix(10).map { "U+" + String($0, radix: 16, uppercase: true) } }
        #expect(letterDiffs.isEmpty, "\\p{L} differs at \(letterDiffs.count) code points: \(hex(letterDiffs))")
        #expect(numberDiffs.isEmpty, "\\p{N} differs at \(numberDiffs.count) code points: \(hex(numberDiffs))")
        #expect(lowerDiffs.isEmpty, "lower() differs at \(lowerDiffs.count) code points: \(hex(lowerDiffs))")
    }

    @Test("each code point alone cleans as open_clip cleans it (ftfy widths, ligatures, quotes, C1, controls, NFC, spaces)")
    func everyCodePointCleaned() throws {
        let t = try JSONDecoder().decode(Tables.self, from: Data(contentsOf: textFixture("unicode_classes.json")))
        #expect(t.clean.count > 1000)
        // Chunks of code points on all cores (the cleaning of 1.1 M strings takes a while in debug).
        let chunks = 64, size = 0x110000 / chunks
        let found = UnsafeMutableBufferPointer<[UInt32]>.allocate(capacity: chunks)
        found.initialize(repeating: [])
        defer { found.deallocate() }
        DispatchQueue.concurrentPerform(iterations: chunks) { k in
            var local: [UInt32] = []
            for v in UInt32(k * size)..<UInt32((k + 1) * size) {
                guard let c = Unicode.Scalar(v) else { continue }
                let expected = t.clean[String(v)] ?? t.lower[String(v)] ?? String(c)
                if CLIPTextCleaner.clean(String(c)) != expected { local.append(v) }
            }
            found[k] = local
        }
        let diffs = found.flatMap { $0 }
        #expect(diffs.isEmpty, "cleaning differs at \(diffs.count) code points: \(diffs.prefix(10).map { "U+" + String($0, radix: 16, uppercase: true) })")
    }
}
