import Foundation
import Testing
@testable import Datasets

@Suite("Folder tasks: GTSRB, DTD, SUN397, EuroSAT, RESISC45, FER2013")
struct FolderTaskTests {
    /// Paths relative to the fixture root, to compare with torchvision's.
    func relative(_ samples: [TaskSample]) -> [String] {
        samples.map { String($0.location.dropFirst(datasetRoot.path.count + 1)) }
    }

    @Test("files and labels in torchvision's order (ImageFolder scanned by torchvision itself)",
          arguments: [TaskName.gtsrb, .dtd, .sun397, .eurosat, .resisc45, .fer2013, .food101, .oxfordIIITPet, .renderedSST2])
    func torchvisionOrder(_ task: TaskName) throws {
        let e = try DatasetExpectations.load().task(task.rawValue)
        let data = try TaskLoader.load(task, dataLocation: datasetRoot)
        #expect(relative(data.trainingSet) == e.strings("train_files"))
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(relative(data.testSet) == e.strings("test_files"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        #expect(checksum(try data.trainingSet[0].decode().pixels) == e.int64("first_train_checksum"))
        if task == .eurosat {
            let validation = try #require(data.validationSet)
            #expect(relative(validation) == e.strings("val_files"))
            #expect(data.samples(.val).map(\.label) == e.ints("val_labels"))
            #expect(data.indices(.train) == Array(0..<data.trainingSet.count))
        } else {
            #expect(data.indices(.val) == RandomSplit(count: data.trainingSet.count).validation)
        }
        for sample in data.samples(.test) { _ = try sample.decode() }
    }

    @Test("class names: shipped, or derived from the folders as the reference does")
    func classNames() throws {
        #expect(try TaskLoader.load(.dtd, dataLocation: datasetRoot).classNames == ["banded", "blotchy", "zigzagged"])
        #expect(try TaskLoader.load(.sun397, dataLocation: datasetRoot).classNames == ["abbey", "bakery shop", "youth hostel"])
        #expect(try TaskLoader.load(.eurosat, dataLocation: datasetRoot).classNames.first == "annual crop land")
        #expect(try TaskLoader.load(.fer2013, dataLocation: datasetRoot).classNames[6] == "neutral")
        let e = try DatasetExpectations.load()
        for task in [TaskName.food101, .oxfordIIITPet, .renderedSST2] {
            #expect(try TaskLoader.load(task, dataLocation: datasetRoot).classNames == e.task(task.rawValue).strings("classes"), "\(task)")
        }
    }

    @Test("a partial download (split file lists more images than found) is an error naming the task and path")
    func partialRESISC45() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-resisc-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: datasetRoot.appendingPathComponent("resisc45"), to: dir.appendingPathComponent("resisc45"))
        try fm.removeItem(at: dir.appendingPathComponent("resisc45/NWPU-RESISC45/airplane/airplane_003.jpg"))
        do {
            _ = try TaskLoader.load(.resisc45, dataLocation: dir)
            Issue.record("expected an error")
        } catch let error as DatasetError {
            #expect(error == .countMismatch(task: "RESISC45", file: dir.appendingPathComponent("resisc45/NWPU-RESISC45").path,
                                            expected: 90, found: 89, what: "of the images resisc45-train.txt lists"))
        }
    }

    @Test("GTSRB: a test image named in the CSV but absent is an error naming it")
    func missingGTSRBTestImage() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-gtsrb-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: datasetRoot.appendingPathComponent("gtsrb"), to: dir.appendingPathComponent("gtsrb"))
        let gone = dir.appendingPathComponent("gtsrb/GTSRB/Final_Test/Images/00003.ppm")
        try fm.removeItem(at: gone)
        do {
            _ = try TaskLoader.load(.gtsrb, dataLocation: dir)
            Issue.record("expected an error")
        } catch let error as DatasetError {
            guard case let .missing(task, path, expected) = error else { Issue.record("\(error)"); return }
            #expect(task == "GTSRB" && path == gone.path && expected.contains("line 5"))
        }
    }

    @Test("GTSRB in the LiNeS reference's tree (gtsrb/gtsrb/GTSRB/Training, gtsrb/gtsrb/GT-final_test.csv) reads as torchvision's")
    func gtsrbReferenceTree() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-gtsrb-ref-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir.appendingPathComponent("gtsrb"), withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        // Its GTSRB wrapper joins 'gtsrb' and PyTorchGTSRB joins another 'gtsrb' (src/datasets/gtsrb.py).
        try fm.copyItem(at: datasetRoot.appendingPathComponent("gtsrb"), to: dir.appendingPathComponent("gtsrb/gtsrb"))
        let reference = try TaskLoader.load(.gtsrb, dataLocation: dir)
        let torchvision = try TaskLoader.load(.gtsrb, dataLocation: datasetRoot)
        #expect(reference.testSet.count == torchvision.testSet.count && !reference.testSet.isEmpty)
        #expect(reference.trainingSet.count == torchvision.trainingSet.count)
        #expect(reference.testSet.map(\.label) == torchvision.testSet.map(\.label))
        #expect(reference.testSet.first.map { "\($0.source)" }?.contains("gtsrb/gtsrb/GTSRB/Final_Test/Images") == true)
    }

    @Test("FER2013 from torchvision's fer2013.csv: Training rows train, public + private test rows test")
    func fer2013CSV() throws {
        let e = try DatasetExpectations.load().task("FER2013-csv")
        let location = repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/fer-csv")
        let data = try TaskLoader.load(.fer2013, dataLocation: location)
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        let first = try data.trainingSet[0].decode()
        #expect(first.width == 48 && checksum(first.pixels) == e.int64("first_train_checksum"))
        #expect(throws: DatasetError.malformedText(file: "x.csv", line: 2, reason: "2 pixels, expected 2304 (48×48)")) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-fer-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let csv = dir.appendingPathComponent("x.csv")
            try "emotion,pixels,Usage\n3,1 2,Training\n".write(to: csv, atomically: true, encoding: .utf8)
            do { _ = try TaskLoader.loadFER2013CSV(csv) } catch let error as DatasetError {
                if case let .malformedText(file, line, reason) = error, file == csv.path {
                    throw DatasetError.malformedText(file: "x.csv", line: line, reason: reason)
                }
                throw error
            }
        }
    }

    @Test("Food-101's JSON keeps file order; escapes decode; damage names the line")
    func orderedJSON() throws {
        let lists = try OrderedJSONLists(bytes: Array(#"{"b": ["b/1", "b\u00e9/2"],"a":[] }"#.utf8), name: "t.json")
        #expect(lists.entries.map(\.key) == ["b", "a"])
        #expect(lists.entries[0].values == ["b/1", "bé/2"])
        #expect(throws: DatasetError.malformedText(file: "t.json", line: 2, reason: "expected ',' or ']'")) {
            try OrderedJSONLists(bytes: Array("{\"a\": [\"x\"\n \"y\"]}".utf8), name: "t.json")
        }
    }

    @Test("a missing folder names the task and what was expected")
    func missingFolder() {
        let nowhere = URL(fileURLWithPath: "/nonexistent-lines-data")
        #expect(throws: DatasetError.missing(task: "DTD", path: "/nonexistent-lines-data/dtd/train",
                                             expected: "a folder with one sub-folder per class")) {
            try TaskLoader.load(.dtd, dataLocation: nowhere)
        }
        #expect(throws: DatasetError.self) { try TaskLoader.load(.cifar10, dataLocation: nowhere) }
    }
}
