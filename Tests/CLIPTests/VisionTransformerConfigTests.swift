import Checkpoints
import Foundation
import Tensors
import Testing
@testable import CLIP
import TestSupport

@Suite("configuration from tensor shapes, and bad input")
struct VisionTransformerConfigTests {
    @Test("width, layers, heads, patch, image size and output dim are read off the shapes")
    func detection() throws {
        let q = try VisionTransformerLayout(reader: try Checkpoint.open(clipFixture("vit_quickgelu.safetensors")))
        #expect(q.config == VisionTransformerConfig(width: 64, layers: 2, heads: 1, patchSize: 8, imageSize: 32, outputDim: 32))
        #expect(q.config.tokens == 17)
        let g = try VisionTransformerLayout(reader: try Checkpoint.open(clipFixture("vit_gelu.safetensors")), activation: .gelu)
        #expect(g.config == VisionTransformerConfig(width: 128, layers: 1, heads: 2, patchSize: 8, imageSize: 32,
                                                   outputDim: 32, activation: .gelu))
        #expect(g.config.description.contains("activation gelu"))
    }

    @Test("presets are named; ViT-B-32 is ~4.4 G multiply-accumulates per image")
    func presets() {
        #expect(VisionTransformerConfig.vitB32.presetName == "ViT-B-32")
        #expect(VisionTransformerConfig.vitB16.tokens == 197)
        #expect(VisionTransformerConfig.vitL14.headWidth == 64)
        let macs = Double(VisionTransformerConfig.vitB32.multiplyAccumulatesPerImage) / 1e9
        #expect(macs > 4.3 && macs < 4.5)
    }

    @Test("a checkpoint without an image tower is refused in one sentence naming the file")
    func notAViT() throws {
        let url = clipFixture("vit_quickgelu_head.safetensors")
        #expect {
            _ = try VisionTransformer(checkpoint: url)
        } throws: { error in
            guard let e = error as? CLIPError, case .notAVisionTransformer(let path, _) = e else { return false }
            return path == url.path && e.description.hasPrefix("\(url.path) is not a ViT image encoder checkpoint")
        }
    }

    @Test("a tower with a wrongly shaped tensor names the tensor and both shapes")
    func wrongShape() throws {
        let dir = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.safetensors")
        let reader = try SafetensorsFile(url: clipFixture("vit_quickgelu.safetensors"))
        var pairs: [(String, StoredTensor)] = []
        for info in reader.tensors {
            var t = try reader.read(info.name)
            if info.name.hasSuffix("resblocks.1.mlp.c_proj.bias") {
                t = StoredTensor(Tensor(shape: [63]))
            }
            pairs.append((info.name, t))
        }
        try SafetensorsWriter.save(pairs, to: url)
        #expect(throws: CLIPError.shapeMismatch(path: url.path, tensor: "model.visual.transformer.resblocks.1.mlp.c_proj.bias",
                                                expected: [64], found: [63])) {
            _ = try VisionTransformer(checkpoint: url)
        }
    }

    @Test("a head whose width differs from the encoder's output is refused")
    func headWidthMismatch() throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("vit_quickgelu.safetensors"))
        let head = try ClassificationHead(weight: Tensor(shape: [10, 48], repeating: 1), source: "head.pt")
        #expect(throws: CLIPError.headWidthMismatch(head: "head.pt", headWidth: 48, encoder: encoder.source.path, encoderDim: 32)) {
            try head.validate(for: encoder)
        }
        #expect(CLIPError.headWidthMismatch(head: "h", headWidth: 48, encoder: "e", encoderDim: 32).description
            == "head h takes 48-dimensional features but encoder e outputs 32; use the head built for this encoder.")
    }

    @Test("pixels of the wrong size are refused before any work")
    func badPixels() throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("vit_quickgelu.safetensors"))
        #expect(throws: CLIPError.self) { _ = try encoder.encode(Tensor(shape: [2, 3, 224, 224])) }
    }

    @Test("head: logits are W · normalize(f) + b, top-k is sorted with probabilities summing to ≤ 1")
    func headMath() throws {
        let head = try ClassificationHead(weight: Tensor(shape: [3, 2], scalars: [100, 0, 0, 100, 70, 70]),
                                          bias: Tensor(shape: [3], scalars: [0, 1, 0]))
        let logits = try head.logits(Tensor(shape: [1, 2], scalars: [3, 4]))
        let expected: [Float] = [60, 81, 98]
        for (a, b) in zip(logits.scalars, expected) { #expect(abs(a - b) < 1e-4) }
        let top = ClassificationHead.top(2, of: logits.scalars[0..<3])
        #expect(top.map(\.index) == [2, 1])
        #expect(top[0].probability > 0.99)
    }
}

@Suite("SIMD kernels")
struct KernelAccuracyTests {
    @Test("exp within 2e-7 relative and erf within 5e-7 absolute of libm on [-20, 20]")
    func expAndErf() {
        var worstExp: Float = 0, worstErf: Float = 0
        var x: Float = -20
        while x < 20 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0007 })
            let e = _Kernels.exp(v), r = _Kernels.erf(v)
            for j in 0..<8 {
                worstExp = max(worstExp, abs(e[j] - Foundation.exp(v[j])) / Foundation.exp(v[j]))
                worstErf = max(worstErf, abs(r[j] - Foundation.erf(v[j])))
            }
            x += 0.0057
        }
        #expect(worstExp < 2e-7)
        #expect(worstErf < 5e-7)
    }
}
