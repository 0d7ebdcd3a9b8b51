import Datasets
import Foundation
import Tensors

/// Labelled images to train or evaluate on, preprocessed per batch: either decoded up front
/// (``init(images:labels:)``) or decoded batch by batch from a task's samples
/// (``init(samples:)``), so that memory stays bounded by the batch whatever the dataset's size.
public struct TrainingSet: Sendable {
    enum Storage: Sendable {
        case images([RGBImage])
        case samples([TaskSample])
    }

    let storage: Storage
    /// The class index of each sample.
    public let labels: [Int]

    /// A set of decoded images and their labels (same count).
    public init(images: [RGBImage], labels: [Int]) {
        precondition(images.count == labels.count, "TrainingSet: \(images.count) images, \(labels.count) labels")
        storage = .images(images)
        self.labels = labels
    }

    /// A set of task samples, each decoded when its batch is prepared.
    public init(samples: [TaskSample]) {
        storage = .samples(samples)
        labels = samples.map(\.label)
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// The first `limit` samples (all when `nil`).
    public func prefix(_ limit: Int?) -> TrainingSet {
        guard let limit, limit < count else { return self }
        switch storage {
        case .images(let images): return TrainingSet(images: Array(images.prefix(limit)), labels: Array(labels.prefix(limit)))
        case .samples(let samples): return TrainingSet(samples: Array(samples.prefix(limit)))
        }
    }

    /// Image `i`, decoded if needed. - Throws: the sample's decoding error (naming its file).
    public func image(_ i: Int) throws -> RGBImage {
        switch storage {
        case .images(let images): return images[i]
        case .samples(let samples): return try samples[i].decode()
        }
    }

    /// Training pixels of the samples at `indices`: ``RandomResizedCrop`` (a generator keyed by
    /// `(seed, epoch, position + k)` for the k-th index) and CLIP normalisation, on all cores.
    /// - Throws: the first decoding error, in index order.
    func trainingPixels(_ indices: ArraySlice<Int>, crop: RandomResizedCrop, normalize: CLIPPreprocessor,
                        seed: UInt64, epoch: Int, position: Int, into out: UnsafeMutablePointer<Float>) throws {
        let per = normalize.valuesPerImage
        let idx = Array(indices)
        let dst = SendablePointer(out)
        _ = try Parallel.map(idx.count) { k in
            var rng = SeededRandom(seed: seed, 0xC12, epoch, position + k)
            let cropped = crop(try image(idx[k]), using: &rng)
            normalize.preprocess(cropped, into: dst.pointer + k * per)
        }
    }

    /// Evaluation pixels (resize, centre crop, normalise) of `range`, on all cores.
    /// - Throws: the first decoding error, in index order.
    func evaluationPixels(_ range: Range<Int>, preprocess: CLIPPreprocessor, into out: UnsafeMutablePointer<Float>) throws {
        let per = preprocess.valuesPerImage
        let dst = SendablePointer(out)
        _ = try Parallel.map(range.count) { k in
            preprocess.preprocess(try image(range.lowerBound + k), into: dst.pointer + k * per)
        }
    }
}
