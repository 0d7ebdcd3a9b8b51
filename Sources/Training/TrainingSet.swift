import Datasets
import Foundation
import Tensors

/// Labelled decoded images to train or evaluate on, preprocessed per batch.
public struct TrainingSet: Sendable {
    /// The images.
    public var images: [RGBImage]
    /// Their class indices.
    public var labels: [Int]

    /// A set from images and labels of the same count.
    public init(images: [RGBImage], labels: [Int]) {
        precondition(images.count == labels.count, "TrainingSet: \(images.count) images, \(labels.count) labels")
        self.images = images
        self.labels = labels
    }

    /// A decoded split of a task.
    public init(_ split: DecodedSplit) { self.init(images: split.images, labels: split.labels) }

    /// Number of samples.
    public var count: Int { images.count }

    /// The first `limit` samples (all when `nil`).
    public func prefix(_ limit: Int?) -> TrainingSet {
        guard let limit, limit < count else { return self }
        return TrainingSet(images: Array(images.prefix(limit)), labels: Array(labels.prefix(limit)))
    }

    /// Training pixels of the samples at `indices`: ``RandomResizedCrop`` (a generator keyed by
    /// `(seed, epoch, position + k)` for the k-th index) and CLIP normalisation, on all cores.
    func trainingPixels(_ indices: ArraySlice<Int>, crop: RandomResizedCrop, normalize: CLIPPreprocessor,
                        seed: UInt64, epoch: Int, position: Int, into out: UnsafeMutablePointer<Float>) {
        let per = normalize.valuesPerImage
        let idx = Array(indices)
        let dst = _SendablePointer(out)
        Parallel.forEach(idx.count) { k in
            var rng = SeededRandom(seed: seed, 0xC12, epoch, position + k)
            let cropped = crop(images[idx[k]], using: &rng)
            normalize.preprocess(cropped, into: dst.pointer + k * per)
        }
    }

    /// Evaluation pixels (resize, centre crop, normalise) of `range`, on all cores.
    func evaluationPixels(_ range: Range<Int>, preprocess: CLIPPreprocessor, into out: UnsafeMutablePointer<Float>) {
        let per = preprocess.valuesPerImage
        let dst = _SendablePointer(out)
        Parallel.forEach(range.count) { k in preprocess.preprocess(images[range.lowerBound + k], into: dst.pointer + k * per) }
    }
}

/// A raw pointer handed to parallel workers that write disjoint regions.
struct _SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { pointer = p }
}
