import Checkpoints
import Foundation
import Tensors
import Testing
@testable import CLIP
import TestSupport

/// Features and logits against open_clip 3.3 `encode_image` (eval, float32) on random tiny ViTs.
@Suite("ViT image encoder parity with open_clip")
struct VisionTransformerParityTests {
    static let models: [(String, Activation)] = [("vit_quickgelu", .quickGELU), ("vit_gelu", .gelu)]

    func check(encoder: VisionTransformer, stem: String, batchSize: Int) throws {
        let pixels = try readTensor(clipFixture("pixels.safetensors"), "pixels")
        let expectedFeatures = try readTensor(clipFixture("\(stem)_expected.safetensors"), "features")
        let expectedLogits = try readTensor(clipFixture("\(stem)_expected.safetensors"), "logits")
        let features = try encoder.encode(pixels, batchSize: batchSize)
        #expect(features.shape == expectedFeatures.shape)
        let err = relativeMaxError(features, expectedFeatures)
        print("\(stem): max abs feature error \(err) of the feature norm")
        #expect(err <= 1e-4, "max abs error \(err) of the feature norm")
        let head = try ClassificationHead(checkpoint: clipFixture("\(stem)_head.safetensors"))
        try head.validate(for: encoder)
        let logits = try head.logits(features)
        #expect(relativeMaxError(logits, expectedLogits) <= 1e-4)
        #expect(argmaxRows(logits) == argmaxRows(expectedLogits))
    }

    @Test("features within 1e-4 of the norm and identical top-1, reference layout (model.visual.)",
          arguments: [("vit_quickgelu", Activation.quickGELU, 4), ("vit_gelu", Activation.gelu, 32)])
    func referenceLayout(stem: String, activation: Activation, batchSize: Int) throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("\(stem).safetensors"), activation: activation)
        #expect(encoder.layout.prefix == "model.visual.")
        try check(encoder: encoder, stem: stem, batchSize: batchSize)
    }

    @Test("both ways of spreading a batch over the cores give open_clip's features",
          arguments: VisionTransformer.Parallelism.allCases)
    func parallelism(mode: VisionTransformer.Parallelism) throws {
        for (stem, activation) in Self.models {
            var encoder = try VisionTransformer(checkpoint: clipFixture("\(stem).safetensors"), activation: activation)
            encoder.parallelism = mode
            try check(encoder: encoder, stem: stem, batchSize: 5)
        }
    }

    @Test("the same without the model. prefix (visual.) and as a bare VisionTransformer state dict",
          arguments: ["visual.", ""])
    func otherPrefixes(prefix: String) throws {
        let dir = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("encoder.safetensors")
        try rewrite(clipFixture("vit_quickgelu.safetensors"), to: url) { name in
            guard name.hasPrefix("model.") else { return nil }
            let stripped = String(name.dropFirst("model.".count))
            if prefix == "visual." { return stripped }
            return stripped.hasPrefix("visual.") ? String(stripped.dropFirst("visual.".count)) : nil
        }
        let encoder = try VisionTransformer(checkpoint: url)
        #expect(encoder.layout.prefix == prefix)
        try check(encoder: encoder, stem: "vit_quickgelu", batchSize: 5)
    }

    @Test("Hugging Face transformers naming (vision_model.…, q/k/v_proj, visual_projection) gives the same features")
    func huggingFaceNaming() throws {
        let dir = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("hf.safetensors")
        let reader = try SafetensorsFile(url: clipFixture("vit_quickgelu.safetensors"))
        var pairs: [(String, StoredTensor)] = []
        for info in reader.tensors where info.name.hasPrefix("model.visual.") {
            var name = String(info.name.dropFirst("model.visual.".count))
            let t = try reader.readFloat(info.name)
            if name == "proj" {  // [W, D] -> visual_projection.weight [D, W]
                let (w, d) = (t.shape[0], t.shape[1])
                var out = [Float](repeating: 0, count: t.count)
                for r in 0..<w { for c in 0..<d { out[c * w + r] = t.scalars[r * d + c] } }
                pairs.append(("visual_projection.weight", StoredTensor(Tensor(shape: [d, w], scalars: out))))
                continue
            }
            name = name.replacingOccurrences(of: "transformer.resblocks.", with: "encoder.layers.")
            if name.hasSuffix("attn.in_proj_weight") || name.hasSuffix("attn.in_proj_bias") {
                let suffix = name.hasSuffix("weight") ? "weight" : "bias"
                let base = String(name.dropLast("attn.in_proj_\(suffix)".count)) + "self_attn."
                let third = t.count / 3
                for (i, part) in ["q_proj", "k_proj", "v_proj"].enumerated() {
                    let shape = [t.shape[0] / 3] + t.shape.dropFirst()
                    let slice = Array(t.scalars[(i * third)..<((i + 1) * third)])
                    pairs.append(("vision_model.\(base)\(part).\(suffix)", StoredTensor(Tensor(shape: shape, scalars: slice))))
                }
                continue
            }
            for (from, to) in [("conv1.weight", "embeddings.patch_embedding.weight"), ("class_embedding", "embeddings.class_embedding"),
                               ("positional_embedding", "embeddings.position_embedding.weight"), ("ln_pre.", "pre_layrnorm."),
                               ("ln_post.", "post_layernorm."), (".ln_1.", ".layer_norm1."), (".ln_2.", ".layer_norm2."),
                               (".attn.out_proj.", ".self_attn.out_proj."), (".mlp.c_fc.", ".mlp.fc1."), (".mlp.c_proj.", ".mlp.fc2.")] {
                name = name.replacingOccurrences(of: from, with: to)
            }
            pairs.append(("vision_model." + name, StoredTensor(t)))
        }
        try SafetensorsWriter.save(pairs, to: url)
        let encoder = try VisionTransformer(checkpoint: url)
        #expect(encoder.layout.naming == .huggingFace && encoder.layout.prefix == "vision_model.")
        #expect(encoder.config == VisionTransformerConfig(width: 64, layers: 2, heads: 1, patchSize: 8, imageSize: 32, outputDim: 32))
        try check(encoder: encoder, stem: "vit_quickgelu", batchSize: 3)
    }

    @Test("the torch.save state dict (.pt) gives the same features")
    func torchStateDict() throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("vit_quickgelu.pt"))
        try check(encoder: encoder, stem: "vit_quickgelu", batchSize: 32)
    }

    @Test("a whole pickled src.models.modeling.ClassificationHead loads as weight and bias")
    func pickledHead() throws {
        let url = clipFixtures.deletingLastPathComponent().appendingPathComponent("torch/head_module.pt")
        let head = try ClassificationHead(checkpoint: url)
        let expected = try readTensor(url.deletingLastPathComponent().appendingPathComponent("head_module.expected.safetensors"), "weight")
        #expect(head.weight == expected)
    }

    @Test("the wrong activation is measurably different (QuickGELU vs GELU matters)")
    func activationMatters() throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("vit_quickgelu.safetensors"), activation: .gelu)
        let pixels = try readTensor(clipFixture("pixels.safetensors"), "pixels")
        let expected = try readTensor(clipFixture("vit_quickgelu_expected.safetensors"), "features")
        #expect(relativeMaxError(try encoder.encode(pixels), expected) > 1e-3)
    }

    @Test("opt-in: random-init ViT-B-32 and ViT-B-16 from `clip_fixtures.py --full`",
          arguments: ["ViT-B-32-quickgelu", "ViT-B-16-quickgelu"])
    func fullSize(stem: String) throws {
        let model = clipFullFixtures.appendingPathComponent("\(stem).safetensors")
        guard FileManager.default.fileExists(atPath: model.path),
              ProcessInfo.processInfo.environment["LINES_CLIP_FULL_TESTS"] == "1" else {
            print("skipping \(stem) parity: set LINES_CLIP_FULL_TESTS=1 after `python3 Scripts/fixtures/clip_fixtures.py --full` (writes \(clipFullFixtures.path))")
            return
        }
        let encoder = try VisionTransformer(checkpoint: model)
        #expect(encoder.config.presetName == String(stem.prefix(8)))
        let all = try readTensor(clipFullFixtures.appendingPathComponent("\(stem)_pixels.safetensors"), "pixels")
        let per = all.count / all.shape[0]
        let pixels = Tensor(shape: [4] + all.shape.dropFirst(), scalars: Array(all.scalars[0..<(4 * per)]))
        let expected = try readTensor(clipFullFixtures.appendingPathComponent("\(stem)_expected.safetensors"), "features")
        let features = try encoder.encode(pixels)
        let err = relativeMaxError(features, expected)
        print("\(stem): max abs feature error \(err) of the feature norm")
        #expect(err <= 1e-4)
        let head = try ClassificationHead(checkpoint: clipFullFixtures.appendingPathComponent("\(stem)_head.safetensors"))
        let logits = try readTensor(clipFullFixtures.appendingPathComponent("\(stem)_expected.safetensors"), "logits")
        #expect(argmaxRows(try head.logits(features)) == argmaxRows(logits))
    }
}
