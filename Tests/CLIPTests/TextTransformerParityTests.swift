import Checkpoints
import Foundation
import Tensors
import Testing
@testable import CLIP
import TestSupport

/// Text features against open_clip 3.3 `encode_text` (eval, float32) on a random tiny text tower.
@Suite("Text encoder parity with open_clip")
struct TextTransformerParityTests {
    static func tokens() throws -> [[Int32]] {
        let t = try readTensor(textFixture("text_tower_expected.safetensors"), "tokens")
        let c = t.shape[1]
        return (0..<t.shape[0]).map { r in t.scalars[(r * c)..<((r + 1) * c)].map { Int32($0) } }
    }

    @Test("features within 1e-4 of the norm, both activations, any batch split",
          arguments: [(Activation.quickGELU, "features_quickgelu", 8192), (.gelu, "features_gelu", 8192), (.quickGELU, "features_quickgelu", 80)])
    func features(activation: Activation, key: String, maxTokens: Int) throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"), activation: activation, heads: 2)
        #expect(encoder.prefix == "model.")
        #expect(encoder.config == TextTransformerConfig(vocabularySize: 1000, contextLength: 77, width: 64, layers: 2, heads: 2,
                                                        outputDim: 32, activation: activation))
        #expect(abs((encoder.logitScale ?? 0) - 4.2) < 1e-6)
        let expected = try readTensor(textFixture("text_tower_expected.safetensors"), key)
        let features = try encoder.encode(try Self.tokens(), maxTokensPerPass: maxTokens)
        #expect(features.shape == expected.shape)
        let err = relativeMaxError(features, expected)
        print("text \(activation.rawValue) (\(maxTokens) tokens per pass): max abs error \(err) of the feature norm")
        #expect(err <= 1e-4)
    }

    @Test("the same without the model. prefix (a CLIP state dict)")
    func noPrefix() throws {
        let dir = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("clip.safetensors")
        try rewrite(textFixture("text_tower.safetensors"), to: url) { String($0.dropFirst("model.".count)) }
        let encoder = try TextTransformer(checkpoint: url, heads: 2)
        #expect(encoder.prefix == "" && encoder.naming == .openCLIP)
        let expected = try readTensor(textFixture("text_tower_expected.safetensors"), "features_quickgelu")
        #expect(relativeMaxError(try encoder.encode(try Self.tokens()), expected) <= 1e-4)
    }

    @Test("one text at a time gives the same features as the batch (threads over heads)")
    func singleTexts() throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"), heads: 2)
        let expected = try readTensor(textFixture("text_tower_expected.safetensors"), "features_quickgelu")
        let tokens = try Self.tokens()
        for (r, row) in tokens.enumerated() {
            let f = try encoder.encode([row])
            let e = Tensor(shape: [1, 32], scalars: Array(expected.scalars[(r * 32)..<((r + 1) * 32)]))
            #expect(relativeMaxError(f, e) <= 1e-4, "text \(r)")
        }
    }

    @Test("the default head count (width / 64 = 1) is a different model: the check can fail")
    func wrongHeads() throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"))
        #expect(encoder.config.heads == 1)
        let expected = try readTensor(textFixture("text_tower_expected.safetensors"), "features_quickgelu")
        #expect(relativeMaxError(try encoder.encode(try Self.tokens()), expected) > 1e-3)
    }

    @Test("Hugging Face transformers naming (text_model.…, q/k/v_proj, final_layer_norm, text_projection.weight) gives the same features")
    func huggingFaceNaming() throws {
        let dir = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("hf.safetensors")
        let reader = try SafetensorsFile(url: textFixture("text_tower.safetensors"))
        var pairs: [(String, StoredTensor)] = []
        let renames = [("token_embedding.weight", "text_model.embeddings.token_embedding.weight"),
                       ("positional_embedding", "text_model.embeddings.position_embedding.weight"),
                       ("ln_final.", "text_model.final_layer_norm."), ("transformer.resblocks.", "text_model.encoder.layers."),
                       (".ln_1.", ".layer_norm1."), (".ln_2.", ".layer_norm2."), (".attn.out_proj.", ".self_attn.out_proj."),
                       (".mlp.c_fc.", ".mlp.fc1."), (".mlp.c_proj.", ".mlp.fc2.")]
        for info in reader.tensors where info.name.hasPrefix("model.") {
            var name = String(info.name.dropFirst("model.".count))
            let t = try reader.readFloat(info.name)
            if name == "text_projection" {  // [W, D] -> text_projection.weight [D, W]
                let (w, d) = (t.shape[0], t.shape[1])
                var out = [Float](repeating: 0, count: t.count)
                for r in 0..<w { for c in 0..<d { out[c * w + r] = t.scalars[r * d + c] } }
                pairs.append(("text_projection.weight", StoredTensor(Tensor(shape: [d, w], scalars: out))))
                continue
            }
            for (from, to) in renames { name = name.replacingOccurrences(of: from, with: to) }
            for suffix in ["weight", "bias"] where name.hasSuffix("attn.in_proj_\(suffix)") {
                let base = String(name.dropLast("attn.in_proj_\(suffix)".count)) + "self_attn."
                let third = t.count / 3
                for (i, part) in ["q_proj", "k_proj", "v_proj"].enumerated() {
                    let slice = Tensor(shape: [t.shape[0] / 3] + t.shape.dropFirst(), scalars: Array(t.scalars[(i * third)..<((i + 1) * third)]))
                    pairs.append(("\(base)\(part).\(suffix)", StoredTensor(slice)))
                }
                name = ""
            }
            if !name.isEmpty { pairs.append((name, StoredTensor(t))) }
        }
        try SafetensorsWriter.save(pairs, to: url)
        let encoder = try TextTransformer(checkpoint: url, heads: 2)
        #expect(encoder.naming == .huggingFace && encoder.prefix == "text_model.")
        #expect(abs((encoder.logitScale ?? 0) - 4.2) < 1e-6)
        let expected = try readTensor(textFixture("text_tower_expected.safetensors"), "features_quickgelu")
        #expect(relativeMaxError(try encoder.encode(try Self.tokens()), expected) <= 1e-4)
    }

    @Test("ids outside the vocabulary and rows longer than the context are errors")
    func badTokens() throws {
        let encoder = try TextTransformer(checkpoint: textFixture("text_tower.safetensors"), heads: 2)
        #expect(throws: CLIPError.self) { try encoder.encode([[1, 1000]]) }
        #expect(throws: CLIPError.self) { try encoder.encode([[Int32](repeating: 1, count: 78)]) }
        #expect(throws: CLIPError.self) { try encoder.encode([[]]) }
    }

    @Test("an image-only checkpoint says it has no text tower")
    func imageOnly() throws {
        #expect(throws: CLIPError.self) { try TextTransformer(checkpoint: clipFixture("vit_gelu.safetensors")) }
        do {
            _ = try TextTransformer(checkpoint: clipFixture("vit_gelu.safetensors"))
        } catch let error as CLIPError {
            #expect(error.description.contains("image tower only"))
        }
    }
}
