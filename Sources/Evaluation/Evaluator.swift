import CLIP
import Datasets
import Foundation
import Tensors

/// Runs an image encoder with a classification head over a decoded split and counts top-1 hits,
/// as the reference's `eval_single_dataset` (arg-max of the logits, first maximum on ties).
///
/// Images are preprocessed per batch (CLIP's eval transform at the encoder's image size) on all
/// cores, then encoded in one forward pass per batch (``VisionTransformer/encodeBatches(count:batchSize:fill:consume:)``).
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
        let preprocessor = CLIPPreprocessor(size: encoder.config.imageSize)
        let d = encoder.config.outputDim, c = head.classCount
        var correct = 0
        try encoder.encodeBatches(count: n, batchSize: batchSize) { range, pixels in
            preprocessor.preprocessBatch(split.images[range], into: pixels)
            return range.count
        } consume: { range, features in
            let logits = try head.logits(Tensor(shape: [range.count, d], scalars: Array(features)))
            logits.scalars.withUnsafeBufferPointer { l in
                for row in 0..<range.count {
                    let r = l[(row * c)..<((row + 1) * c)]
                    var best = r.startIndex
                    for j in r.indices where r[j] > r[best] { best = j }
                    if best - r.startIndex == split.labels[range.lowerBound + row] { correct += 1 }
                }
            }
            progress?(range.upperBound)
        }
        return SplitAccuracy(correct: correct, count: n)
    }
}
