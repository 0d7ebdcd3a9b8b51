import CLIP
import Checkpoints
import Foundation
import Tensors
import Testing
@testable import Training
import TestSupport

/// One tiny open_clip ViT's loss, every gradient, and one clipped AdamW step against PyTorch
/// (float64 expected values from `Scripts/fixtures/training_fixtures.py`).
@Suite("tiny ViT gradients and AdamW step against PyTorch")
struct TinyViTParityTests {
    static let config = { (a: Activation) in
        VisionTransformerConfig(width: 32, layers: 2, heads: 2, patchSize: 4, imageSize: 16, outputDim: 16, activation: a)
    }

    struct Case {
        let model: TrainableViT
        let head: ClassificationHead
        let pixels: [Float]
        let labels: [Int]
        let file: SafetensorsFile
        let prefix: String
    }

    func load(_ prefix: String, _ activation: Activation) throws -> Case {
        let file = try SafetensorsFile(url: trainingFixture("tiny_vit_step.safetensors"))
        let layout = ParameterLayout(config: Self.config(activation))
        let weights = ParameterBuffer(count: layout.count)
        for e in layout.entries {
            let t = try file.readFloat(prefix + "before." + e.name)
            #expect(t.count == e.count, "\(e.name)")
            for i in 0..<e.count { weights.pointer[e.offset + i] = t.scalars[i] }
        }
        let head = try ClassificationHead(weight: try file.readFloat(prefix + "head"))
        let labels = try file.readFloat(prefix + "labels").scalars.map { Int($0) }
        return Case(model: TrainableViT(config: Self.config(activation), weights: weights), head: head,
                    pixels: try file.readFloat(prefix + "pixels").scalars, labels: labels, file: file, prefix: prefix)
    }

    @Test("loss within 1e-5, every gradient within 1e-4 of its largest entry, AdamW step within 1% of lr where the clipped gradient exceeds 1e-6",
          arguments: [("quickgelu.", Activation.quickGELU), ("gelu.", Activation.gelu)])
    func gradientsAndStep(prefix: String, activation: Activation) throws {
        for (microBatch, workers) in [(4, 1), (1, 2)] {
            let c = try load(prefix, activation)
            let engine = try GradientEngine(model: c.model, head: c.head, microBatch: microBatch, workers: workers)
            let grad = ParameterBuffer(count: c.model.layout.count)
            let n = c.labels.count
            let (loss, _) = c.pixels.withUnsafeBufferPointer {
                engine.accumulate(pixels: $0.baseAddress!, labels: c.labels[...], count: n, scale: 1 / Float(n), into: grad)
            }
            let expectedLoss = Double(try c.file.readFloat(prefix + "loss").scalars[0])
            #expect(abs(loss / Double(n) - expectedLoss) <= 1e-5 * expectedLoss, "loss \(loss / Double(n)) vs \(expectedLoss)")
            var worst: (Float, String) = (0, "")
            for e in c.model.layout.entries {
                let expected = try c.file.readFloat(prefix + "grad." + e.name).scalars
                let got = Array(UnsafeBufferPointer(start: grad.pointer + e.offset, count: e.count))
                let err = relativeMaxError(got, expected)
                if err > worst.0 { worst = (err, e.name) }
                #expect(err <= 1e-4, "\(prefix)\(e.name): gradient error \(err) of its largest entry")
            }
            print("\(prefix) micro \(microBatch) workers \(workers): worst gradient error \(worst.0) (\(worst.1))")

            let norm = GradientClipping.clip(grad, maxNorm: 1)
            let expectedNorm = Double(try c.file.readFloat(prefix + "grad_norm").scalars[0])
            #expect(abs(norm - expectedNorm) <= 1e-5 * expectedNorm)
            let before = c.model.weights.array
            let optimizer = AdamW(count: grad.count, settings: .init(weightDecay: 0.1))
            optimizer.update(c.model.weights, gradient: grad, lr: 1e-3)
            var worstStep: Float = 0
            var skipped = 0
            for e in c.model.layout.entries {
                let expected = try c.file.readFloat(prefix + "after." + e.name).scalars
                let g = try c.file.readFloat(prefix + "grad." + e.name).scalars
                for i in 0..<e.count {
                    // Adam's first step is ≈ −lr · g / (|g| + ε'): where the clipped gradient is
                    // within a few hundred ε of zero, float32's gradient error moves it visibly.
                    guard abs(g[i]) / Float(expectedNorm) >= 1e-6 else { skipped += 1; continue }
                    let got = c.model.weights.pointer[e.offset + i]
                    worstStep = max(worstStep, abs((got - before[e.offset + i]) - (expected[i] - before[e.offset + i])))
                }
            }
            print("\(prefix): worst AdamW update error \(worstStep) (lr 1e-3), \(skipped) near-zero gradients skipped")
            #expect(worstStep <= 1e-5, "AdamW update differs by \(worstStep) from PyTorch's (lr 1e-3)")
            #expect(skipped < grad.count / 100)
        }
    }

    @Test("AdamW on PyTorch's own clipped gradients reproduces its step within 1e-6 (lr 1e-3)")
    func optimizerAlone() throws {
        let c = try load("quickgelu.", .quickGELU)
        let grad = ParameterBuffer(count: c.model.layout.count)
        for e in c.model.layout.entries {
            let g = try c.file.readFloat("quickgelu.grad." + e.name).scalars
            for i in 0..<e.count { grad.pointer[e.offset + i] = g[i] }
        }
        GradientClipping.clip(grad, maxNorm: 1)
        let optimizer = AdamW(count: grad.count)
        optimizer.update(c.model.weights, gradient: grad, lr: 1e-3)
        #expect(optimizer.step == 1)
        var worst: Float = 0
        for e in c.model.layout.entries {
            let expected = try c.file.readFloat("quickgelu.after." + e.name).scalars
            for i in 0..<e.count { worst = max(worst, abs(c.model.weights.pointer[e.offset + i] - expected[i])) }
        }
        print("AdamW alone: worst error \(worst)")
        #expect(worst <= 1e-6)
    }
}
