import Foundation
import Testing
@testable import Datasets

@Suite("STL10: binary version")
struct STL10TaskTests {
    @Test("labels (1–10 shifted to 0–9), class names and column-major pixels equal torchvision's STL10")
    func fixture() throws {
        let e = try DatasetExpectations.load().task("STL10")
        let data = try TaskLoader.load(.stl10, dataLocation: datasetRoot)
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        #expect(data.classNames == e.strings("classes"))
        #expect(data.classNames == TaskName.stl10.classNames.shipped)
        let first = try data.trainingSet[0].decode()
        #expect(first.width == 96 && first.height == 96)
        #expect(checksum(first.pixels) == e.int64("first_train_checksum"))
    }

    @Test("a truncated image file is an error naming it")
    func truncated() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-stl-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: datasetRoot.appendingPathComponent("stl10"), to: dir.appendingPathComponent("stl10"))
        let x = dir.appendingPathComponent("stl10/stl10_binary/train_X.bin")
        try Data(contentsOf: x).dropLast(100).write(to: x)
        #expect(throws: DatasetError.countMismatch(task: "STL10", file: x.path, expected: 3 * 27648, found: 3 * 27648 - 100,
                                                   what: "bytes (a whole number of 3×96×96 images)")) {
            try TaskLoader.load(.stl10, dataLocation: dir)
        }
    }
}
