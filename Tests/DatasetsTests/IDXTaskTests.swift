import Foundation
import Testing
@testable import Datasets
import TestSupport

@Suite("IDX tasks: MNIST, KMNIST, EMNIST, FashionMNIST")
struct IDXTaskTests {
    @Test("fixture tasks: sizes, labels, pixels, split", arguments: [TaskName.mnist, .kmnist, .emnist])
    func fixtureTask(_ task: TaskName) throws {
        let e = try DatasetExpectations.load().task(task.rawValue)
        let data = try TaskLoader.load(task, dataLocation: datasetRoot)
        #expect(data.trainingSet.count == e.int("train"))
        #expect(data.testSet.count == e.int("test"))
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        let first = try data.trainingSet[0].decode()
        #expect(first.width == 28 && first.height == 28)
        #expect(checksum(first.pixels) == e.int64("first_train_checksum"))
        let split = RandomSplit(count: data.trainingSet.count)
        #expect(data.indices(.val) == split.validation)
        #expect(data.samples(.val).map(\.label) == split.validation.map { data.trainingSet[$0].label })
        #expect(data.count(.train) + data.count(.val) == data.trainingSet.count)
        #expect(data.classNames == task.classNames.shipped)
    }

    @Test("a missing IDX file names the task, the path and the file expected")
    func missing() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("lines-empty-\(getpid())")
        do {
            _ = try TaskLoader.load(.fashionMNIST, dataLocation: empty)
            Issue.record("expected an error")
        } catch let error as DatasetError {
            guard case let .missing(task, path, expected) = error else { Issue.record("\(error)"); return }
            #expect(task == "FashionMNIST")
            #expect(path.hasSuffix("FashionMNIST/FashionMNIST/raw/train-images-idx3-ubyte"))
            #expect(expected.contains("train-images-idx3-ubyte"))
        }
    }

    @Test("truncated gzip and wrong IDX sizes are errors naming the file")
    func badInput() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-idx-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = try Data(contentsOf: datasetRoot.appendingPathComponent("MNIST/raw/train-images-idx3-ubyte.gz"))
        let cut = dir.appendingPathComponent("cut.gz")
        try gz.prefix(gz.count / 2).write(to: cut)
        #expect(throws: DatasetError.self) { try IDXFile(contentsOf: cut) }
        do { _ = try IDXFile(contentsOf: cut) } catch let e as DatasetError {
            #expect(e.description.contains(cut.path))
        }
        #expect(throws: DatasetError.malformedIDX(file: "x", offset: 8, reason: "shape [2] needs 2 value bytes, found 1")) {
            try IDXFile(bytes: [0, 0, 8, 1, 0, 0, 0, 2, 7], name: "x")
        }
        #expect(throws: DatasetError.self) { try IDXFile(bytes: [0, 0, 0x0D, 1, 0, 0, 0, 1, 7], name: "x") }
        // Dimensions whose product overflows are refused (regression: they must not trap).
        #expect(throws: DatasetError.self) { try IDXFile(bytes: [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12), name: "x") }
    }

    @Test("gzip: concatenated members inflate whole, plain bytes pass through")
    func gzipMembers() throws {
        let gz = try Data(contentsOf: datasetRoot.appendingPathComponent("MNIST/raw/t10k-labels-idx1-ubyte.gz"))
        let one = try GzipDecoder.inflate([UInt8](gz), name: "one")
        let two = try GzipDecoder.inflate([UInt8](gz) + [UInt8](gz), name: "two")
        #expect(two == one + one)
        let raw = try GzipDecoder.contents(of: datasetRoot.appendingPathComponent("KMNIST/KMNIST/raw/t10k-labels-idx1-ubyte"))
        #expect(raw.prefix(4) == [0, 0, 8, 1])
    }

    @Test("real MNIST and Fashion-MNIST test sets (../shared/data): counts, labels, pixel checksums",
          arguments: ["mnist", "fashion-mnist"])
    func sharedTestSet(_ folder: String) throws {
        guard sharedDataExists(folder) else {
            print("skipped: ../shared/data/\(folder) is absent")
            return
        }
        let e = try DatasetExpectations.load().section("shared", folder)
        let dir = sharedData.appendingPathComponent(folder)
        let samples = try TaskLoader.readIDXPair(images: dir.appendingPathComponent("t10k-images-idx3-ubyte.gz"),
                                                 labels: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"),
                                                 task: folder == "mnist" ? .mnist : .fashionMNIST, classCount: 10)
        #expect(samples.count == e.int("count"))
        #expect(samples.prefix(10).map(\.label) == e.ints("first_labels"))
        var counts = [Int](repeating: 0, count: 10)
        for s in samples { counts[s.label] += 1 }
        #expect(counts == e.ints("class_counts"))
        #expect(TaskDataset.checksum(samples.map(\.label)) == e.int64("label_checksum"))
        guard case let .gray(set, _) = samples[0].source else { Issue.record("not gray"); return }
        #expect(checksum(set.pixels) == e.int64("pixel_checksum"))
        let first = try samples[0].decode()
        #expect(checksum(Array(first.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))) == e.int64("first_image_checksum"))
    }
}
