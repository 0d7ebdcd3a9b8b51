import Foundation

extension TaskLoader {
    /// PCAM as torchvision reads it: `PCAM/pcam/camelyonpatch_level_2_split_{train,test}_{x,y}.h5`
    /// with `x` (uint8 N×96×96×3) and `y` (uint8 N×1×1×1, 0 or 1). Images are read one by one on decode.
    static func loadPCAM(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("PCAM/pcam")
        func split(_ name: String) throws -> [TaskSample] {
            let xURL = base.appendingPathComponent("camelyonpatch_level_2_split_\(name)_x.h5")
            let yURL = base.appendingPathComponent("camelyonpatch_level_2_split_\(name)_y.h5")
            for url in [xURL, yURL] where !FileManager.default.fileExists(atPath: url.path) {
                throw DatasetError.missing(task: "PCAM", path: url.path, expected: "the HDF5 file \(url.lastPathComponent)")
            }
            let x = try HDF5Dataset(file: xURL.path, name: "x")
            guard x.shape.count == 4, x.shape[3] == 3 else {
                throw DatasetError.malformedHDF5(file: xURL.path, reason: "dataset 'x' has shape \(x.shape), expected N×H×W×3")
            }
            let labels = try HDF5Dataset(file: yURL.path, name: "y")
            guard labels.shape.first == x.shape[0], labels.shape.reduce(1, *) == x.shape[0] else {
                throw DatasetError.countMismatch(task: "PCAM", file: yURL.path, expected: x.shape[0], found: labels.shape.reduce(1, *), what: "labels")
            }
            return try labels.readAll().enumerated().map { i, v in
                guard v < 2 else { throw DatasetError.labelOutOfRange(task: "PCAM", file: yURL.path, index: i, label: Int(v), classCount: 2) }
                return TaskSample(source: .hdf5(x, index: i), label: Int(v))
            }
        }
        return TaskDataset(task: .pcam, classNames: TaskName.pcam.classNames.shipped ?? [], trainingSet: try split("train"), testSet: try split("test"))
    }
}
