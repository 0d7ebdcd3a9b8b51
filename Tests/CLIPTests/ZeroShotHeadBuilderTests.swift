import Checkpoints
import Foundation
import Tensors
import Testing
@testable import CLIP
import TestSupport

/// Heads against the reference's `build_classification_head` computed with open_clip on the tiny tower.
@Suite("Zero-shot heads as the reference builds them")
struct ZeroShotHeadBuilderTests {
    static let templatesPerClass = 3

    /// A tokenizer over a tiny made-up vocabulary: the builder only needs one that fits the encoder.
    static func tinyTokenizer() throws -> CLIPTokenizer {
        // Header line, then merges that are never used; the vocabulary is 512 + 2 + merges ids.
        try CLIPTokenizer(merges: "#version: test\nt h\n")
    }

    @Test("weight [classes, dim] within 1e-4 of the reference's (encode, normalise, mean, normalise, stack, · exp(logit_scale))")
    func parity() throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"), heads: 2)
        let builder = try ZeroShotHeadBuilder(encoder: encoder, tokenizer: try Self.tinyTokenizer())
        let tokens = try readTensor(textFixture("text_head_expected.safetensors"), "tokens")
        let expected = try readTensor(textFixture("text_head_expected.safetensors"), "weight")
        let c = tokens.shape[1], t = Self.templatesPerClass
        let rows = (0..<tokens.shape[0]).map { r in tokens.scalars[(r * c)..<((r + 1) * c)].map { Int32($0) } }
        let classes = stride(from: 0, to: rows.count, by: t).map { Array(rows[$0..<($0 + t)]) }
        let head = try builder.head(classTokens: classes)
        #expect(head.weight.shape == expected.shape)
        #expect(head.bias.scalars.allSatisfy { $0 == 0 })
        let err = relativeMaxError(head.weight, expected)
        print("zero-shot head: max abs error \(err) of the row norm (row norm \(exp(4.2)))")
        #expect(err <= 1e-4)
        // Rows are exp(logit_scale) long; with logit_scale 0 they are unit vectors.
        let d = head.inputDim
        #expect(abs(ZeroShotHeadBuilder.norm(head.weight.scalars[0..<d]) - Float(exp(4.2))) < 1e-3)
        let unscaled = try ZeroShotHeadBuilder(encoder: encoder, tokenizer: try Self.tinyTokenizer(), logitScale: 0)
        #expect(abs(ZeroShotHeadBuilder.norm(try unscaled.head(classTokens: classes).weight.scalars[0..<d]) - 1) < 1e-5)
    }

    @Test("prompts fill {} with each class name, class by class in template order")
    func prompts() {
        let p = ZeroShotHeadBuilder.prompts(classNames: ["cat", "dog"], templates: ["a {}.", "the {}!"])
        #expect(p == [["a cat.", "the cat!"], ["a dog.", "the dog!"]])
    }

    @Test("a tokenizer vocabulary wider than the encoder's, or no classes, is an error")
    func errors() throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"), heads: 2)
        let builder = try ZeroShotHeadBuilder(encoder: encoder, tokenizer: try Self.tinyTokenizer())
        #expect(throws: CLIPError.self) { try builder.head(classNames: [], templates: ["a {}."]) }
        #expect(throws: CLIPError.self) { try builder.head(classTokens: [[]]) }
        if let bpe = sharedMergesFile {
            let full = try CLIPTokenizer(mergesFile: bpe)
            #expect(throws: CLIPError.self) { try ZeroShotHeadBuilder(encoder: encoder, tokenizer: full) }
        }
    }
}
