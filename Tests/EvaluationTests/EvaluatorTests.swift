import CLIP
import Datasets
import Evaluation
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
private let models = root.appendingPathComponent("Fixtures/runner/model_checkpoints/tiny")
private let data = root.appendingPathComponent("Fixtures/datasets/root")

@Suite("evaluating an encoder on a split")
struct EvaluatorTests {
    func facts() throws -> [String: Double] {
        let url = root.appendingPathComponent("Fixtures/runner/expected/facts.json")
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return obj?["finetuned"] as? [String: Double] ?? [:]
    }

    @Test("fine-tuned accuracies equal PyTorch's on the same images (pickled .pt and safetensors models)")
    func parity() throws {
        let expected = try facts()
        for (task, file) in [(TaskName.eurosat, "EuroSATVal/nonlinear_finetuned.pt"), (.gtsrb, "GTSRBVal/nonlinear_finetuned.safetensors"),
                             (.cifar10, "CIFAR10Val/nonlinear_finetuned.safetensors"), (.kmnist, "KMNISTVal/nonlinear_finetuned.pt")] {
            let encoder = try VisionTransformer(checkpoint: models.appendingPathComponent(file))
            let head = try ClassificationHead(checkpoint: models.appendingPathComponent("head_\(task.rawValue)Val.safetensors"))
            let dataset = try TaskLoader.load(task, dataLocation: data)
            for (split, suffix) in [(DatasetSplit.val, "Val"), (.test, "")] {
                let decoded = try DecodedSplit(dataset, split: split)
                var seen = 0
                let acc = try Evaluator.accuracy(encoder: encoder, head: head, split: decoded, batchSize: 3) { seen = $0 }
                #expect(seen == decoded.images.count)
                #expect(acc.count == dataset.count(split))
                #expect(acc.top1 == expected[task.rawValue + suffix], "\(task) \(split)")
            }
        }
    }

    @Test("a label beyond the head's classes is an error naming task, label and head")
    func labelOutOfRange() throws {
        let encoder = try VisionTransformer(checkpoint: models.appendingPathComponent("EuroSATVal/nonlinear_finetuned.pt"))
        let head = try ClassificationHead(checkpoint: models.appendingPathComponent("head_EuroSATVal.safetensors"))
        let gtsrb = try DecodedSplit(try TaskLoader.load(.gtsrb, dataLocation: data), split: .test)
        #expect(throws: EvaluationError.labelOutOfRange(task: "GTSRB", label: 14, classes: 10, head: head.source)) {
            try Evaluator.accuracy(encoder: encoder, head: head, split: gtsrb)
        }
    }
}
