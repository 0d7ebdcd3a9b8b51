import CLIP
import Datasets
import Foundation
import Tensors

/// Runs an image encoder with a classification head over a decoded split and counts top-1 hits,
/// as the reference's `eval_single_dataset` (arg-max of the logits, first maximum on ties).
///
/// Images are preprocessed per batch (CLIP's eval transform at the encoder's image size) on all
/// cores, then encoded in one forward pass per batch; the workspace is allocated once per call.
public enum Evaluator {
    /// Top-1 accuracy of `encoder` + `head` on `split`.
    /// - Parameters:
    ///   - batchSize: images per forward pass.
    ///   - progress: called after each batch with the number of images done.
    /// - Throws: ``EvaluationError`` when a label exceeds the head's classes; ``CLIPError`` when
    ///   the head does not take the encoder's features.
    public static func accuracy(encoder: VisionTransformer, head: ClassificationHead, split: DecodedSplit,
                                batchSize: Int = 128, progress: ((Int) -> Void)? = nil) throws -> SplitAccuracy {
        try head.validate(for: encoder)
        let n = split.images.count
        if let bad = split.labels.first(where: { $0 < 0 || $0 >= head.classCount }) {
            throw EvaluationError.labelOutOfRange(task: split.task.rawValue, label: bad, classes: head.classCount, head: head.source)
        }
        guard n > 0 else { return SplitAccuracy(correct: 0, count: 0) }
        let config = encoder.config
        let batch = max(1, min(batchSize, n))
        let preprocessor = CLIPPreprocessor(size: config.imageSize)
        let workspace = VisionTransformerWorkspace(config: config, batchCapacity: batch)
        // One pixel and one feature buffer for the whole split.
        let pixels = UnsafeMutablePointer<Float>.allocate(capacity: batch * preprocessor.valuesPerImage)
        defer { pixels.deallocate() }
        var features = Tensor(shape: [batch, config.outputDim])
        var correct = 0
        var start = 0
        while start < n {
            let end = min(n, start + batch)
            let count = end - start
            preprocessor.preprocessBatch(split.images[start..<end], into: pixels)
            if features.shape[0] != count { features = Tensor(shape: [count, config.outputDim]) }
            features.scalars.withUnsafeMutableBufferPointer { f in
                guard let fp = f.baseAddress else { return }
                encoder.forward(pixels: pixels, count: count, features: fp, workspace: workspace)
            }
            let logits = try head.logits(features)
            let c = head.classCount
            logits.scalars.withUnsafeBufferPointer { l in
                for row in 0..<count {
                    let r = l[(row * c)..<((row + 1) * c)]
                    var best = r.startIndex
                    for j in r.indices where r[j] > r[best] { best = j }
                    if best - r.startIndex == split.labels[start + row] { correct += 1 }
                }
            }
            start = end
            progress?(end)
        }
        return SplitAccuracy(correct: correct, count: n)
    }
}
