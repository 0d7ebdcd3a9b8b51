import Checkpoints
import Foundation
import Testing
@testable import Datasets

@Suite("CIFAR10/100: Python 2 pickle batches through the safe unpickler")
struct CIFARTaskTests {
    @Test("labels, sizes and pixels equal torchvision's CIFAR readers", arguments: [TaskName.cifar10, .cifar100])
    func fixtureTask(_ task: TaskName) throws {
        let e = try DatasetExpectations.load().task(task.rawValue)
        let data = try TaskLoader.load(task, dataLocation: datasetRoot)
        #expect(data.trainingSet.count == e.int("train"))
        #expect(data.testSet.count == e.int("test"))
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        let first = try data.trainingSet[0].decode()
        #expect(first.width == 32 && first.height == 32)
        #expect(checksum(first.pixels) == e.int64("first_train_checksum"))
        #expect(data.indices(.val) == RandomSplit(count: data.trainingSet.count).validation)
        if task == .cifar100 {
            #expect(data.classNames == e.strings("classes"))
        } else {
            #expect(data.classNames == task.classNames.shipped)
        }
    }

    @Test("a missing batch and a pickle without 'data' name the file")
    func badInput() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-cifar-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: datasetRoot.appendingPathComponent("cifar-10-batches-py"), to: dir.appendingPathComponent("cifar-10-batches-py"))
        let gone = dir.appendingPathComponent("cifar-10-batches-py/data_batch_4")
        try fm.removeItem(at: gone)
        #expect(throws: DatasetError.missing(task: "CIFAR10", path: gone.path, expected: "the Python pickle batch data_batch_4")) {
            try TaskLoader.load(.cifar10, dataLocation: dir)
        }
        let meta = dir.appendingPathComponent("cifar-10-batches-py/batches.meta")
        #expect(throws: DatasetError.malformedPickle(file: meta.path, reason: "the dict has no 'data' entry")) {
            try CIFARBatch(contentsOf: meta, labelKey: "labels")
        }
        #expect(try CIFARBatch.names(contentsOf: meta, key: "label_names") == TaskName.cifar10.classNames.shipped)
    }
}
