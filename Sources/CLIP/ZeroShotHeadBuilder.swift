import Foundation
import Tensors

/// Builds a zero-shot classification head from class names and prompt templates with a CLIP
/// text encoder, as the reference's `build_classification_head` (spec §4.3).
///
/// For each class `c`, every template is filled with the class's name and encoded; the
/// features are L2-normalised, averaged over the templates and L2-normalised again. The class
/// vectors are stacked into `W` [classes, dim] and multiplied by `exp(logit_scale)` (≈ 100 for
/// OpenAI CLIP): the reference's stack, transpose, scale, squeeze and transpose give this same
/// row-per-class matrix. The bias is zero. All texts of a head are encoded in one batched call.
///
/// Parity: within 1e-4 (relative to the row norm) of the reference's computation with open_clip.
public struct ZeroShotHeadBuilder: Sendable {
    /// The pre-trained CLIP text encoder.
    public let encoder: TextTransformer
    /// The tokenizer matching the encoder's vocabulary.
    public let tokenizer: CLIPTokenizer
    /// `logit_scale`; the head is scaled by its exponential.
    public let logitScale: Float
    /// Token positions per forward pass of the encoder (memory grows linearly with it).
    public var maxTokensPerPass = 8192

    /// Pairs a text encoder with its tokenizer and the logit scale of the heads.
    /// - Parameters:
    ///   - logitScale: `logit_scale` (the log of the logit multiplier); default: the checkpoint's.
    /// - Throws: ``CLIPError/badPrompts(reason:)`` when neither gives a logit scale, or when the
    ///   tokenizer's ids do not fit the encoder's vocabulary.
    public init(encoder: TextTransformer, tokenizer: CLIPTokenizer, logitScale: Float? = nil) throws {
        guard let scale = logitScale ?? encoder.logitScale else {
            throw CLIPError.badPrompts(reason: "\(encoder.source.path) has no 'logit_scale' tensor; pass the logit scale (ln 100 = 4.6052 for OpenAI CLIP)")
        }
        guard tokenizer.vocabularySize <= encoder.config.vocabularySize else {
            throw CLIPError.badPrompts(reason: "the tokenizer has \(tokenizer.vocabularySize) ids but the text encoder \(encoder.source.path) only \(encoder.config.vocabularySize)")
        }
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.logitScale = scale
    }

    /// The texts of each class: every template with `{}` replaced by the class's name.
    public static func prompts(classNames: [String], templates: [String]) -> [[String]] {
        classNames.map { name in templates.map { $0.replacingOccurrences(of: "{}", with: name) } }
    }

    /// The head of `classNames` (in label order) under `templates` (`{}` for the name).
    /// - Throws: ``CLIPError/badPrompts(reason:)`` when there are no classes or templates.
    public func head(classNames: [String], templates: [String]) throws -> ClassificationHead {
        guard !classNames.isEmpty, !templates.isEmpty else {
            throw CLIPError.badPrompts(reason: "\(classNames.count) class names and \(templates.count) templates; both must be non-empty")
        }
        let texts = Self.prompts(classNames: classNames, templates: templates)
        let rows = tokenizer.tokenize(texts.flatMap { $0 }, contextLength: encoder.config.contextLength)
        return try head(classTokens: stride(from: 0, to: rows.count, by: templates.count).map { Array(rows[$0..<($0 + templates.count)]) })
    }

    /// The head of already tokenized prompts: `classTokens[c]` holds the token rows of class `c`'s texts.
    /// - Throws: ``CLIPError/badPrompts(reason:)`` for a class without texts,
    ///   ``CLIPError/badTokens(path:reason:)`` for ids the encoder cannot take.
    public func head(classTokens: [[[Int32]]]) throws -> ClassificationHead {
        guard !classTokens.isEmpty else { throw CLIPError.badPrompts(reason: "no classes") }
        if let empty = classTokens.firstIndex(where: \.isEmpty) {
            throw CLIPError.badPrompts(reason: "class \(empty) has no texts")
        }
        let features = try encoder.encode(classTokens.flatMap { $0 }, maxTokensPerPass: maxTokensPerPass)
        let d = encoder.config.outputDim, scale = Float(Foundation.exp(Double(logitScale)))
        var weight = Tensor(shape: [classTokens.count, d])
        var row = 0
        for (c, texts) in classTokens.enumerated() {
            var mean = [Float](repeating: 0, count: d)
            for _ in texts {
                let f = features.scalars[(row * d)..<((row + 1) * d)]
                let inv = 1 / Self.norm(f)
                for (j, v) in f.enumerated() { mean[j] += v * inv }
                row += 1
            }
            for j in 0..<d { mean[j] /= Float(texts.count) }
            let inv = 1 / Self.norm(mean[...])
            for j in 0..<d { weight.scalars[c * d + j] = mean[j] * inv * scale }
        }
        return try ClassificationHead(weight: weight, bias: nil, source: "zero-shot head from \(encoder.source.lastPathComponent)")
    }

    /// ‖v‖₂ accumulated in `Double`.
    static func norm(_ v: ArraySlice<Float>) -> Float {
        var sq: Double = 0
        for x in v { sq += Double(x) * Double(x) }
        return Float(sq.squareRoot())
    }
}
