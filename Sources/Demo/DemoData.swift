import Datasets
import Foundation

/// Writes the demo's tasks (``FashionTask/suite``) and its pre-training set as custom tasks
/// under a `data_location`, from the real Fashion-MNIST that Debian's `dataset-fashion-mnist`
/// package installs.
///
/// The 60,000 training images are split in two halves: the first half is the pre-training set
/// (`FashionPretrain`: upright images, the 10 classes); every task draws its own training images
/// from the second half (task t takes a contiguous block, so tasks see different images) and its
/// test images from the official test set (blocks as well). Each task's `XVal` validation part is
/// then the usual seed-0 `random_split` of its training images.
public enum DemoData {
    /// Where Debian installs Fashion-MNIST.
    public static let debianLocation = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The pre-training task's name.
    public static let pretrainName = "FashionPretrain"

    /// Sizes of a suite.
    public struct Sizes: Sendable, Equatable {
        public var pretrain: Int
        public var trainPerTask: Int
        public var testPerTask: Int
        public init(pretrain: Int, trainPerTask: Int, testPerTask: Int) {
            self.pretrain = pretrain
            self.trainPerTask = trainPerTask
            self.testPerTask = testPerTask
        }
        /// The full demo.
        public static let full = Sizes(pretrain: 30000, trainPerTask: 5000, testPerTask: 1600)
        /// `lines demo --quick` (CI).
        public static let quick = Sizes(pretrain: 3000, trainPerTask: 600, testPerTask: 200)
    }

    /// Reads Fashion-MNIST from `source` and writes the suite to `dataLocation`.
    /// - Throws: ``DatasetError`` naming the missing file (with the apt command in the reason).
    public static func write(source: URL = debianLocation, to dataLocation: URL, sizes: Sizes,
                             tasks: [FashionTask] = FashionTask.suite) throws {
        func read(_ stem: String) throws -> IDXFile {
            for name in [stem, stem + ".gz"] {
                let url = source.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return try IDXFile(contentsOf: url) }
            }
            throw DatasetError.missing(task: "FashionMNIST", path: source.appendingPathComponent(stem + ".gz").path,
                                       expected: "Fashion-MNIST (apt-get install -y dataset-fashion-mnist)")
        }
        let trainImages = try read("train-images-idx3-ubyte"), trainLabels = try read("train-labels-idx1-ubyte")
        let testImages = try read("t10k-images-idx3-ubyte"), testLabels = try read("t10k-labels-idx1-ubyte")
        let px = 28 * 28
        guard trainImages.shape == [60000, 28, 28], testImages.shape == [10000, 28, 28],
              trainLabels.values.count == 60000, testLabels.values.count == 10000 else {
            throw DatasetError.countMismatch(task: "FashionMNIST", file: source.path, expected: 60000, found: trainLabels.values.count,
                                             what: "training images of 28×28 (and 10,000 test images)")
        }
        let half = 30000
        guard sizes.pretrain <= half, sizes.trainPerTask * tasks.count <= half, sizes.testPerTask * tasks.count <= 10000 else {
            throw DatasetError.unsupportedTask(task: "demo", reason: "the sizes ask for more images than Fashion-MNIST has")
        }
        func slice(_ file: IDXFile, _ labels: IDXFile, _ range: Range<Int>, _ task: FashionTask?) -> (images: [UInt8], labels: [UInt8]) {
            var images: [UInt8] = []
            images.reserveCapacity(range.count * px)
            var out: [UInt8] = []
            for i in range {
                let img = Array(file.values[(i * px)..<((i + 1) * px)])
                images.append(contentsOf: task.map { $0.transform(img) } ?? img)
                let label = Int(labels.values[i])
                out.append(UInt8(task.map { $0.relabel(label) } ?? label))
            }
            return (images, out)
        }
        try TaskLoader.writeCustomTask(name: pretrainName, dataLocation: dataLocation, classNames: FashionTask.fashionClasses,
                                       rows: 28, columns: 28, train: slice(trainImages, trainLabels, 0..<sizes.pretrain, nil),
                                       test: slice(testImages, testLabels, 0..<min(1000, sizes.testPerTask * 2), nil))
        for (t, task) in tasks.enumerated() {
            let train = (half + t * sizes.trainPerTask)..<(half + (t + 1) * sizes.trainPerTask)
            let test = (t * sizes.testPerTask)..<((t + 1) * sizes.testPerTask)
            try TaskLoader.writeCustomTask(name: task.name, dataLocation: dataLocation, classNames: task.classNames, rows: 28, columns: 28,
                                           train: slice(trainImages, trainLabels, train, task), test: slice(testImages, testLabels, test, task))
        }
    }
}
