import Foundation

/// One split of a task decoded once into memory, for runs that evaluate many models on it.
///
/// Decoding runs on `threads` workers (contiguous chunks of the sample list); the images keep
/// the split's order. Memory: the sum of `width × height × 3` over the images (CIFAR-10 test:
/// 30 MB; a 20,000-image folder of 500×375 JPEGs: about 11 GB, so decode such sets per batch
/// instead).
public struct DecodedSplit: Sendable {
    /// The task.
    public var task: TaskName
    /// The split.
    public var split: DatasetSplit
    /// The decoded images, in the split's order.
    public var images: [RGBImage]
    /// The labels, in the same order.
    public var labels: [Int]

    /// A decoded split from its parts (the decode cache).
    init(task: TaskName, split: DatasetSplit, images: [RGBImage], labels: [Int]) {
        self.task = task
        self.split = split
        self.images = images
        self.labels = labels
    }

    /// Decodes every sample of `split`.
    /// - Parameter threads: worker count (at least 1).
    /// - Throws: the ``ImageError`` of the first sample (in split order) that fails to decode,
    ///   which names its file; nothing is dropped.
    public init(_ dataset: TaskDataset, split: DatasetSplit, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let samples = dataset.samples(split)
        let box = _DecodeResults(count: samples.count)
        let workers = max(1, min(threads, samples.count))
        let chunk = samples.isEmpty ? 0 : (samples.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * chunk
            let end = min(samples.count, start + chunk)
            guard start < end else { return }
            for i in start..<end {
                if box.failedBefore(i) { return }
                do { box.set(i, try samples[i].decode()) } catch { box.fail(i, error); return }
            }
        }
        if let (_, error) = box.firstError { throw error }
        self.task = dataset.task
        self.split = split
        self.images = box.images.map { $0 ?? RGBImage(width: 0, height: 0, pixels: []) }
        self.labels = samples.map(\.label)
    }
}

/// Results shared by the decoding workers; each index is written by one worker only.
private final class _DecodeResults: @unchecked Sendable {
    var images: [RGBImage?]
    private(set) var firstError: (Int, any Error)?
    private let lock = NSLock()

    init(count: Int) { images = [RGBImage?](repeating: nil, count: count) }

    func set(_ i: Int, _ image: RGBImage) {
        lock.lock()
        images[i] = image
        lock.unlock()
    }

    func fail(_ i: Int, _ error: any Error) {
        lock.lock()
        if firstError.map({ i < $0.0 }) ?? true { firstError = (i, error) }
        lock.unlock()
    }

    func failedBefore(_ i: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return firstError.map { $0.0 < i } ?? false
    }
}
