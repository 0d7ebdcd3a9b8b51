import ArgumentParser
import CLIP
import Checkpoints
import Foundation
import Tensors
import Testing
@testable import LinesCLI
import TestSupport

// Fixtures from `python3 Scripts/fixtures/text_fixtures.py`.
private let text = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/text")

/// CLIP's merges file from LINES_CLIP_BPE or ../shared/data/clip-bpe/ (not committed).
private let mergesFile: URL? = {
    if let env = ProcessInfo.processInfo.environment["LINES_CLIP_BPE"], FileManager.default.fileExists(atPath: env) {
        return URL(fileURLWithPath: env)
    }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let shared = repo.deletingLastPathComponent().appendingPathComponent("shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz")
    return FileManager.default.fileExists(atPath: shared.path) ? shared : nil
}()

@Suite("lines tokenize and lines heads")
struct TextCommandTests {
    init() {
        setenv("LINES_KEEP_BLAS_CORE", "1", 1)
    }

    @Test("tokenize prints open_clip's 77 ids per text", .enabled(if: mergesFile != nil, "needs bpe_simple_vocab_16e6.txt.gz (LINES_CLIP_BPE or ../shared/data/clip-bpe/)"))
    func tokenize() throws {
        let bpe = try #require(mergesFile)
        let command = try Tokenize.parseAsRoot(["--bpe", bpe.path, "A photo of a dog.", "Hello,   World!"]) as? Tokenize
        let lines = try #require(command).lines()
        // open_clip.tokenize(["A photo of a dog.", "Hello,   World!"])
        let expected: [[Int]] = [[49406, 320, 1125, 539, 320, 1929, 269, 49407], [49406, 3306, 267, 1002, 256, 49407]]
        #expect(lines.count == 2)
        for (line, ids) in zip(lines, expected) {
            let values = line.split(separator: " ").compactMap { Int($0) }
            #expect(values.count == 77)
            #expect(Array(values.prefix(ids.count)) == ids)
            #expect(values.dropFirst(ids.count).allSatisfy { $0 == 0 })
        }
    }

    @Test("heads writes weight [classes, dim] and a zero bias that ClassificationHead loads, as the library builds them")
    func heads() throws {
        let dir = try temporaryFolder("text")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A tiny merges file: the tiny tower's vocabulary (1000) cannot take CLIP's 49,408 ids.
        let bpe = dir.appendingPathComponent("merges.txt")
        try "#version: test\nt h\na t\n".write(to: bpe, atomically: true, encoding: .utf8)
        let model = text.appendingPathComponent("text_tower.safetensors")
        let out = dir.appendingPathComponent("heads")
        var command = try Heads.parseAsRoot(["--model", model.path, "--bpe", bpe.path, "--task", "MNIST", "--task", "KMNISTVal",
                                             "-o", out.path])
        try command.run()
        let head = try ClassificationHead(checkpoint: out.appendingPathComponent("head_KMNISTVal.safetensors"))
        #expect(head.weight.shape == [10, 32])
        #expect(head.bias.scalars.allSatisfy { $0 == 0 })
        // The CLI passes the task's class names and templates to the library unchanged.
        let encoder = try TextTransformer(checkpoint: model)
        let builder = try ZeroShotHeadBuilder(encoder: encoder, tokenizer: try CLIPTokenizer(mergesFile: bpe))
        let expected = try builder.head(classNames: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
                                        templates: ["a photo of the character {}."])
        let err = zip(head.weight.scalars, expected.weight.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(err < 1e-4)
        let file = try SafetensorsFile(url: out.appendingPathComponent("head_MNISTVal.safetensors"))
        #expect(file.metadata["task"] == "MNIST")
    }

    @Test("--class-names gives a data-backed task its names without the data")
    func classNamesFile() throws {
        let dir = try temporaryFolder("text")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bpe = dir.appendingPathComponent("merges.txt")
        try "#version: test\nt h\n".write(to: bpe, atomically: true, encoding: .utf8)
        let names = dir.appendingPathComponent("DTD.txt")
        try "banded\nblotchy\nbraided\n".write(to: names, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("dtd.safetensors")
        var command = try Heads.parseAsRoot(["--model", text.appendingPathComponent("text_tower.safetensors").path, "--bpe", bpe.path,
                                             "--task", "DTD", "--class-names", names.path, "-o", out.path])
        try command.run()
        #expect(try ClassificationHead(checkpoint: out).classCount == 3)
    }

    @Test("heads refuses a missing model, no task, several tasks into one file, and data-backed names without --data-location")
    func validation() throws {
        let model = text.appendingPathComponent("text_tower.safetensors").path
        #expect(throws: (any Error).self) { try Heads.parseAsRoot(["--model", "/nonexistent", "--task", "MNIST", "-o", "h.safetensors"]) }
        #expect(throws: (any Error).self) { try Heads.parseAsRoot(["--model", model, "-o", "h.safetensors"]) }
        #expect(throws: (any Error).self) { try Heads.parseAsRoot(["--model", model, "--task", "MNIST", "--task", "SVHN", "-o", "h.safetensors"]) }
        #expect(throws: (any Error).self) { try Heads.parseAsRoot(["--model", model, "--task", "DTD", "-o", "h.safetensors"]) }
        #expect(throws: (any Error).self) { try Heads.parseAsRoot(["--model", model, "--task", "Nope", "-o", "h.safetensors"]) }
    }
}
