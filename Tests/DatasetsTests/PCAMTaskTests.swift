import Foundation
import Testing
@testable import Datasets

@Suite("PCAM: HDF5 through libhdf5")
struct PCAMTaskTests {
    @Test("labels and pixels (chunked, gzip-compressed x) equal torchvision's PCAM on h5py-written files")
    func fixture() throws {
        let e = try DatasetExpectations.load().task("PCAM")
        let data = try TaskLoader.load(.pcam, dataLocation: datasetRoot)
        #expect(data.trainingSet.map(\.label) == e.ints("train_labels"))
        #expect(data.testSet.map(\.label) == e.ints("test_labels"))
        let first = try data.trainingSet[0].decode()
        #expect(first.width == 96 && first.height == 96)
        #expect(checksum(first.pixels) == e.int64("first_train_checksum"))
        #expect(checksum(try data.testSet[data.testSet.count - 1].decode().pixels) == e.int64("last_test_checksum"))
        #expect(data.classNames == TaskName.pcam.classNames.shipped)
    }

    @Test("a file that is not HDF5, and a missing dataset, are errors naming the file")
    func badInput() throws {
        let notHDF5 = datasetRoot.appendingPathComponent("MNIST/raw/t10k-labels-idx1-ubyte.gz").path
        #expect(throws: DatasetError.malformedHDF5(file: notHDF5, reason: "not an HDF5 file libhdf5 can open")) {
            try HDF5Dataset(file: notHDF5, name: "x")
        }
        let y = datasetRoot.appendingPathComponent("PCAM/pcam/camelyonpatch_level_2_split_test_y.h5").path
        #expect(throws: DatasetError.malformedHDF5(file: y, reason: "no dataset 'x'")) { try HDF5Dataset(file: y, name: "x") }
    }
}
