import Datasets
import Foundation
import Testing

@Suite("custom tasks")
struct CustomTaskTests {
    @Test("a custom task written in the IDX layout reads back with its classes and a seed-0 split")
    func roundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let n = 30, rows = 4, cols = 3
        let images = (0..<(n * rows * cols)).map { UInt8($0 % 251) }
        let labels = (0..<n).map { UInt8($0 % 3) }
        try TaskLoader.writeCustomTask(name: "Shapes-2", dataLocation: dir, classNames: ["circle", "square", "star"], rows: rows, columns: cols,
                                       train: (images, labels), test: (Array(images.prefix(5 * rows * cols)), Array(labels.prefix(5))))
        #expect(TaskLoader.hasCustomTask("Shapes-2", dataLocation: dir))
        let data = try TaskLoader.load(.custom("Shapes-2"), dataLocation: dir)
        #expect(data.classNames == ["circle", "square", "star"])
        #expect(data.count(.train) == 27 && data.count(.val) == 3 && data.count(.test) == 5)
        #expect(data.indices(.val) == RandomSplit(count: 30).validation)
        let image = try data.samples(.test)[1].decode()
        #expect(image.width == cols && image.height == rows)
        #expect(image.pixels.prefix(3) == [12, 12, 12])
        #expect(data.samples(.train).map(\.label) == data.trainIndices.map { Int(labels[$0]) })
    }

    @Test("names that clash with the paper's tasks or hold path characters are refused")
    func names() {
        #expect(!TaskLoader.isValidCustomName("MNIST"))
        #expect(!TaskLoader.isValidCustomName("mnistval"))
        #expect(!TaskLoader.isValidCustomName("../x"))
        #expect(TaskLoader.isValidCustomName("Fashion-Rot90"))
        #expect(TaskName.custom("X").rawValue == "X" && !TaskName.custom("X").isReference && TaskName.mnist.isReference)
        #expect(TaskName(rawValue: "KMNIST") == .kmnist && TaskName(rawValue: "kmnist") == nil)
        #expect(TaskName.allCases.count == 20)
    }

    @Test("a missing classes.txt or IDX file names the path")
    func missing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("T"), withIntermediateDirectories: true)
        #expect(throws: DatasetError.missing(task: "T", path: dir.appendingPathComponent("T/classes.txt").path, expected: "the class names, one per line")) {
            try TaskLoader.load(.custom("T"), dataLocation: dir)
        }
        try "a\nb\n".write(to: dir.appendingPathComponent("T/classes.txt"), atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.missing(task: "T", path: dir.appendingPathComponent("T/train-images-idx3-ubyte").path, expected: "the IDX file train-images-idx3-ubyte (raw or .gz)")) {
            try TaskLoader.load(.custom("T"), dataLocation: dir)
        }
    }
}
