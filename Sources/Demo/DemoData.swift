import Datasets
import Foundation
import Tensors

/// Writes the demo's tasks (``DemoSuite/tasks``) and its pre-training set as custom tasks under a
/// `data_location`: Fashion-MNIST from Debian's `dataset-fashion-mnist`, glyphs from Debian's
/// fonts (``DemoFonts``), shapes, textures and discs drawn here.
///
/// Fashion-MNIST's 60,000 training images are split in two halves: the first half is the
/// pre-training set's garments; every Fashion task draws its own training images from the
/// second half (task t takes a contiguous block, so tasks see different images) and its test
/// images from the official test set (blocks as well). A drawn task's image i of a split is drawn
/// from a generator keyed by (the task's name, split, i): the same images on every machine and run. Each
/// task's `XVal` validation part is then the usual seed-0 `random_split` of its training images.
public enum DemoData {
    /// Where Debian installs Fashion-MNIST.
    public static let debianLocation = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The pre-training task's name.
    public static let pretrainName = "DemoPretrain"

    /// Where, under a `data_location`, each task's canonical depictions are kept (as a custom
    /// task of the same name): the images its zero-shot head is built from.
    public static let canonicalFolder = ".canonical"

    /// Upright Fashion-MNIST garments per class in a Fashion task's canonical depictions (the
    /// first of each class in the pre-training half: what θ0 knows a garment looks like).
    public static let canonicalGarments = 10

    /// Sizes of a suite.
    public struct Sizes: Sendable, Equatable {
        /// Fashion-MNIST garments of the pre-training set (from the first training half).
        public var pretrain: Int
        /// Drawn glyphs of the pre-training set (``DemoSuite/pretrainGlyphs``).
        public var pretrainGlyphs: Int
        public var trainPerTask: Int
        public var testPerTask: Int
        public init(pretrain: Int, pretrainGlyphs: Int, trainPerTask: Int, testPerTask: Int) {
            self.pretrain = pretrain
            self.pretrainGlyphs = pretrainGlyphs
            self.trainPerTask = trainPerTask
            self.testPerTask = testPerTask
        }
        /// The full demo.
        public static let full = Sizes(pretrain: 30000, pretrainGlyphs: 40000, trainPerTask: 3000, testPerTask: 1000)
        /// `lines demo --quick` (CI).
        public static let quick = Sizes(pretrain: 2000, pretrainGlyphs: 2000, trainPerTask: 500, testPerTask: 150)
    }

    /// Reads Fashion-MNIST from `source`, opens the fonts when a drawn task needs them, and writes
    /// the tasks (and, when `pretraining`, the pre-training set) to `dataLocation`.
    /// - Throws: ``DatasetError`` naming a missing Fashion-MNIST file (with the apt command),
    ///   ``DemoError/font(path:reason:)`` for a missing font.
    public static func write(source: URL = debianLocation, to dataLocation: URL, sizes: Sizes,
                             tasks: [DemoTask] = DemoSuite.tasks, pretraining: Bool = false) throws {
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
        let fashionTasks = tasks.filter { !$0.isDrawn }.count
        guard sizes.pretrain <= half, sizes.trainPerTask * fashionTasks <= half, sizes.testPerTask * fashionTasks <= 10000 else {
            throw DatasetError.unsupportedTask(task: "demo", reason: "the sizes ask for more images than Fashion-MNIST has")
        }
        let fonts = pretraining || tasks.contains(where: \.isDrawn) ? try DemoFonts() : nil
        typealias Split = (images: [UInt8], labels: [UInt8])
        func slice(_ file: IDXFile, _ labels: IDXFile, _ range: Range<Int>,
                   transform: ([UInt8]) -> [UInt8] = { $0 }, relabel: (Int) -> Int = { $0 }) -> Split {
            var images: [UInt8] = [], out: [UInt8] = []
            images.reserveCapacity(range.count * px)
            for i in range {
                images.append(contentsOf: transform(Array(file.values[(i * px)..<((i + 1) * px)])))
                out.append(UInt8(relabel(Int(labels.values[i]))))
            }
            return (images, out)
        }
        /// `count` images drawn on all cores; `draw(i, &rng)` returns (label, image).
        func drawn(_ count: Int, key: [Int], _ draw: @escaping @Sendable (Int, inout SeededRandom) throws -> (Int, [UInt8])) throws -> Split {
            let chunk = 256, chunks = (count + chunk - 1) / chunk
            let parts = try Parallel.map(chunks) { c -> Split in
                var split: Split = ([], [])
                for i in (c * chunk)..<min(count, (c + 1) * chunk) {
                    var rng = SeededRandom(seed: 0xDE40, key[0], key[1], i)
                    let (label, image) = try draw(i, &rng)
                    split.images += image
                    split.labels.append(UInt8(label))
                }
                return split
            }
            var all: Split = ([], [])
            for p in parts { all.images += p.images; all.labels += p.labels }
            return all
        }
        if pretraining, let fonts {
            let glyphs = DemoSuite.pretrainGlyphs, offset = DemoSuite.fashionClasses.count
            func mixture(_ garments: Split, _ n: Int, split: Int) throws -> Split {
                let g = try drawn(n, key: [-1, split]) { _, rng in
                    let k = rng.int(below: glyphs.count)
                    return (offset + k, try DemoSuite.glyph(glyphs[k], fonts: fonts, rng: &rng))
                }
                return (garments.images + g.images, garments.labels + g.labels)
            }
            try TaskLoader.writeCustomTask(name: pretrainName, dataLocation: dataLocation, classNames: DemoSuite.pretrainClasses,
                                           rows: 28, columns: 28,
                                           train: mixture(slice(trainImages, trainLabels, 0..<sizes.pretrain), sizes.pretrainGlyphs, split: 0),
                                           test: mixture(slice(testImages, testLabels, 0..<1000), 1000, split: 1))
        }
        var fashionIndex = 0
        for task in tasks {
            let train: Split, test: Split
            var canonical: Split = ([], [])
            switch task.source {
            case let .fashion(transform, relabel):
                let k = fashionIndex
                fashionIndex += 1
                train = slice(trainImages, trainLabels, (half + k * sizes.trainPerTask)..<(half + (k + 1) * sizes.trainPerTask), transform: transform, relabel: relabel)
                test = slice(testImages, testLabels, (k * sizes.testPerTask)..<((k + 1) * sizes.testPerTask), transform: transform, relabel: relabel)
                var taken = [Int: Int]()
                for i in 0..<half {
                    let label = relabel(Int(trainLabels.values[i]))
                    guard taken[label, default: 0] < canonicalGarments else { continue }
                    taken[label, default: 0] += 1
                    canonical.images += trainImages.values[(i * px)..<((i + 1) * px)]
                    canonical.labels.append(UInt8(label))
                    if taken.count == task.classNames.count, taken.values.allSatisfy({ $0 >= canonicalGarments }) { break }
                }
            case let .drawn(draw, depictions):
                guard let fonts else { continue }
                let classes = task.classNames.count
                let key = stableKey(task.name)
                func make(_ n: Int, _ split: Int) throws -> Split {
                    try drawn(n, key: [key, split]) { _, rng in
                        let label = rng.int(below: classes)
                        return (label, try draw(label, &rng, fonts))
                    }
                }
                train = try make(sizes.trainPerTask, 0)
                test = try make(sizes.testPerTask, 1)
                for label in 0..<classes {
                    for image in try depictions(label, fonts) {
                        canonical.images += image
                        canonical.labels.append(UInt8(label))
                    }
                }
            }
            try TaskLoader.writeCustomTask(name: task.name, dataLocation: dataLocation.appendingPathComponent(canonicalFolder),
                                           classNames: task.classNames, rows: 28, columns: 28, train: canonical, test: canonical)
            try TaskLoader.writeCustomTask(name: task.name, dataLocation: dataLocation, classNames: task.classNames, rows: 28, columns: 28,
                                           train: train, test: test)
        }
    }
}

/// A key for a task's generators from its name (FNV-1a), so that a task draws the same images
/// whichever tasks are written with it.
func stableKey(_ name: String) -> Int {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return Int(truncatingIfNeeded: h >> 1)
}
