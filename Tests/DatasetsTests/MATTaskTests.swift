import Foundation
import Testing
@testable import Datasets

@Suite("MAT-file tasks: SVHN, Flowers102; the level-5 reader")
struct MATTaskTests {
    @Test("SVHN and Flowers102 equal torchvision's readers (files written by scipy.io.savemat)",
          arguments: [TaskName.svhn, .flowers102, .cars])
    func fixtureTask(_ task: TaskName) throws {
        let e = try DatasetExpectations.load().task(task.rawValue)
        let data = try TaskLoader.load(task, dataLocation: datasetRoot)
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        #expect(checksum(try data.trainingSet[0].decode().pixels) == e.int64("first_train_checksum"))
        if task == .flowers102 || task == .cars {
            #expect(data.trainingSet.map { String($0.location.dropFirst(datasetRoot.path.count + 1)) } == e.strings("train_files"))
        }
        if task == .cars {
            #expect(data.testSet.map { String($0.location.dropFirst(datasetRoot.path.count + 1)) } == e.strings("test_files"))
            #expect(data.classNames == e.strings("classes"))
        }
        #expect(data.indices(.val) == RandomSplit(count: data.trainingSet.count).validation)
    }

    @Test("cell arrays of strings, struct arrays and int16 matrices, compressed or not", arguments: ["cells.mat", "cells_z.mat"])
    func cellsAndStructs(_ name: String) throws {
        let mat = try MATFile(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/mat/\(name)"))
        let names = try mat.variable("class_names", file: name)
        #expect(names.classID == 1 && names.dimensions == [1, 3])
        #expect(names.elements.map(\.string) == ["AM General Hummer SUV 2000", "Acura RL Sedan 2012", "Ünïcode"])
        let annos = try mat.variable("annotations", file: name)
        #expect(annos.classID == 2 && annos.fieldNames == ["fname", "class"] && annos.dimensions == [1, 2])
        #expect(annos.elements.count == 4)
        #expect(annos.elements[0].string == "00001.jpg")
        #expect(try annos.elements[3].doubles(file: name) == [196])
        let m = try mat.variable("m", file: name)
        #expect(m.dimensions == [2, 3])
        #expect(try m.doubles(file: name) == [-2, 1, -1, 2, 0, 3])  // column-major
    }

    @Test("truncated or non-level-5 files are errors naming the file")
    func badInput() throws {
        let url = datasetRoot.appendingPathComponent("svhn/test_32x32.mat")
        let bytes = [UInt8](try Data(contentsOf: url))
        for cut in [3, 50, bytes.count / 2] {
            #expect(throws: DatasetError.self, "cut \(cut)") { _ = try MATFile(bytes: Array(bytes.prefix(bytes.count - cut)), name: "cut.mat") }
        }
        var v73 = bytes
        v73[124] = 0x00
        v73[125] = 0x02
        do {
            _ = try MATFile(bytes: v73, name: "v73.mat")
            Issue.record("expected an error")
        } catch let error as DatasetError {
            #expect(error.description.contains("v73.mat") && error.description.contains("HDF5"))
        }
        #expect(throws: DatasetError.self) { try MATFile(bytes: [UInt8](repeating: 0, count: 200), name: "zero.mat") }
        // Hostile dimensions (2³¹−1 × 2³¹−1) are refused, not allocated or multiplied into a trap.
        var huge = [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/mat/cells.mat")))
        for i in 160..<168 { huge[i] = i % 4 == 3 ? 0x7F : 0xFF }
        #expect(throws: DatasetError.self) { try MATFile(bytes: huge, name: "huge.mat") }
    }

    @Test("the inputs the fuzzer found crashing are errors (Tests/Fixtures/fuzz/mat: a dimension or struct tag at the end of the data)")
    func fuzzerFindings() throws {
        let folder = repositoryRoot.appendingPathComponent("Tests/Fixtures/fuzz/mat")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty)
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            #expect(throws: DatasetError.self, "\(name)") { _ = try MATFile(bytes: bytes, name: name) }
        }
    }
}
