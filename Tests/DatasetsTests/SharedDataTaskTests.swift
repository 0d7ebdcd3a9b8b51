import Checkpoints
import Foundation
import Testing
@testable import Datasets
import TestSupport

/// The folder loaders on the real images of `../shared/data`, arranged in the reference's
/// layouts through symbolic links (nothing is copied).
@Suite("Task loaders on real shared data")
struct SharedDataTaskTests {
    /// A temporary data location whose `links` point into `../shared/data`.
    func location(_ links: [(String, String)]) throws -> URL {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-shared-\(UUID().uuidString)")
        for (link, target) in links {
            let url = dir.appendingPathComponent(link)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.createSymbolicLink(at: url, withDestinationURL: sharedData.appendingPathComponent(target))
        }
        return dir
    }

    @Test("DTD: dtd-subset as dtd/train and dtd/val; file order and decoded pixels as Pillow's",
          .enabled(if: sharedDataExists("dtd-subset"), "../shared/data/dtd-subset is absent; skipped"))
    func dtd() throws {
        let dir = try location([("dtd/train", "dtd-subset/images"), ("dtd/val", "dtd-subset/images")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try TaskLoader.load(.dtd, dataLocation: dir)
        #expect(data.trainingSet.count == 100 && data.testSet.count == 100 && data.classNames.count == 10)
        #expect(data.count(.val) == 10 && data.count(.train) == 90)
        let reference = try SafetensorsFile(url: fixture("dtd.safetensors"))
        let files = try JSONSerialization.jsonObject(with: Data((reference.metadata["files"] ?? "[]").utf8)) as? [String] ?? []
        let prefix = dir.appendingPathComponent("dtd/train").path.count + 1
        #expect(data.trainingSet.map { String($0.location.dropFirst(prefix)) } == files)
        let sums = int64s(try reference.read("checksums"))
        for i in [0, 57, 99] {
            #expect(checksum(try data.trainingSet[i].decode().pixels) == sums[2 * i], "\(files[i])")
        }
    }

    @Test("FER2013: fer2013-subset as fer2013/{train,test}; labels and pixels as its decoded reference",
          .enabled(if: sharedDataExists("fer2013-subset"), "../shared/data/fer2013-subset is absent; skipped"))
    func fer2013() throws {
        let dir = try location([("fer2013/train", "fer2013-subset/test"), ("fer2013/test", "fer2013-subset/test")])
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try TaskLoader.load(.fer2013, dataLocation: dir)
        let reference = try SafetensorsFile(url: sharedData.appendingPathComponent("fer2013-subset/test-decoded.safetensors"))
        let files = try String(contentsOf: sharedData.appendingPathComponent("fer2013-subset/test-files.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let labels = int64s(try reference.read("labels"))
        let images = try reference.read("images").data
        let prefix = dir.appendingPathComponent("fer2013").path.count + 1
        let byFile = Dictionary(uniqueKeysWithValues: data.testSet.map { (String($0.location.dropFirst(prefix)), $0) })
        #expect(byFile.count == 210 && files.count == 210)
        for (i, file) in files.enumerated() {
            let sample = try #require(byFile[file], "\(file)")
            #expect(Int64(sample.label) == labels[i], "\(file)")
            if i % 50 == 0 {
                let rgb = try sample.decode()
                let gray = stride(from: 0, to: rgb.pixels.count, by: 3).map { rgb.pixels[$0] }
                #expect(maxDifference(gray, Array(images[(i * 2304)..<((i + 1) * 2304)])) <= 2, "\(file)")
            }
        }
    }
}

/// Debian's `dataset-fashion-mnist` (installed by Scripts/ensure-deps.sh when it can be).
let debianFashionMNIST = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

@Suite("FashionMNIST: Debian's full training set")
struct DebianFashionMNISTTests {
    @Test("60,000 training images load from a torchvision layout and split as torch's random_split",
          .enabled(if: FileManager.default.fileExists(atPath: debianFashionMNIST.appendingPathComponent("train-labels-idx1-ubyte.gz").path),
                   "dataset-fashion-mnist is not installed; skipped"))
    func fullTrainingSet() throws {
        let e = try DatasetExpectations.load().section("shared", "debian-fashion-mnist")
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-fmnist-\(UUID().uuidString)")
        try fm.createDirectory(at: dir.appendingPathComponent("FashionMNIST/FashionMNIST"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.createSymbolicLink(at: dir.appendingPathComponent("FashionMNIST/FashionMNIST/raw"), withDestinationURL: debianFashionMNIST)
        let data = try TaskLoader.load(.fashionMNIST, dataLocation: dir)
        #expect(data.trainingSet.count == e.int("count") && data.testSet.count == 10_000)
        #expect(data.count(.val) == 5000 && data.count(.train) == 55_000)
        #expect(data.trainingSet.prefix(10).map(\.label) == e.ints("first_labels"))
        guard case let .gray(set, _) = data.trainingSet[0].source else { Issue.record("not gray"); return }
        #expect(checksum(set.pixels) == e.int64("pixel_checksum"))
        #expect(TaskDataset.checksum(data.samples(.val).map(\.label)) == e.int64("val_label_checksum"))
        #expect(checksum(try data.samples(.train)[0].decode().pixels) == e.int64("first_train_image_checksum"))
        #expect(data.indices(.train).first == 36044)
    }
}

@Suite("GTSRB on the real shared PPMs")
struct SharedGTSRBTests {
    @Test("gtsrb32 in torchvision's layout: test rows and pixels exactly as Pillow's, train folders by class",
          .enabled(if: sharedDataExists("gtsrb32"), "../shared/data/gtsrb32 is absent; skipped"))
    func gtsrb() throws {
        let fm = FileManager.default
        let source = sharedData.appendingPathComponent("gtsrb32")
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-gtsrb-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        let base = dir.appendingPathComponent("gtsrb")
        try fm.createDirectory(at: base.appendingPathComponent("GTSRB/Final_Test"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: base.appendingPathComponent("GTSRB/Final_Test/Images"), withDestinationURL: source.appendingPathComponent("test"))
        try fm.createSymbolicLink(at: base.appendingPathComponent("GT-final_test.csv"),
                                  withDestinationURL: source.appendingPathComponent("test/GT-test-subset.csv"))
        let trainFiles = try fm.contentsOfDirectory(atPath: source.appendingPathComponent("train").path).filter { $0.hasSuffix(".ppm") }
        for name in trainFiles {
            let folder = base.appendingPathComponent("GTSRB/Training/\(name.prefix(5))")
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try fm.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent("train/\(name)"))
        }
        let data = try TaskLoader.load(.gtsrb, dataLocation: dir)
        let reference = try SafetensorsFile(url: source.appendingPathComponent("test-decoded.safetensors"))
        let labels = int64s(try reference.read("labels"))
        let images = try reference.read("images").data
        #expect(data.testSet.count == 2150 && data.trainingSet.count == trainFiles.count)
        #expect(data.testSet.map { Int64($0.label) } == labels)
        for i in stride(from: 0, to: 2150, by: 211) {
            #expect(try data.testSet[i].decode().pixels == Array(images[(i * 3072)..<((i + 1) * 3072)]), "test row \(i)")
        }
        for sample in data.trainingSet {
            #expect(sample.label == Int(String((sample.location as NSString).lastPathComponent.prefix(5))))
        }
        #expect(data.count(.val) == trainFiles.count / 10)
    }
}
