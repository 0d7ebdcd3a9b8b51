import Foundation

extension TaskLoader {
    /// STL-10's binary version as torchvision reads it: `stl10/stl10_binary/{train,test}_X.bin`
    /// (uint8 `N × 3 × 96 × 96`, each plane column-major), `{train,test}_y.bin` (uint8 labels 1–10)
    /// and `class_names.txt`. The unlabeled set is not read (the reference does not use it).
    static func loadSTL10(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("stl10/stl10_binary")
        let namesURL = base.appendingPathComponent("class_names.txt")
        let names = try readLines(namesURL, task: "STL10", expected: "class_names.txt with one class per line")
        func split(_ name: String) throws -> [TaskSample] {
            let xURL = base.appendingPathComponent("\(name)_X.bin")
            let yURL = base.appendingPathComponent("\(name)_y.bin")
            for url in [xURL, yURL] where !FileManager.default.fileExists(atPath: url.path) {
                throw DatasetError.missing(task: "STL10", path: url.path, expected: "the binary file \(url.lastPathComponent)")
            }
            let x = try GzipDecoder.contents(of: xURL)
            let y = try GzipDecoder.contents(of: yURL)
            let size = 3 * 96 * 96
            guard x.count % size == 0 else {
                throw DatasetError.countMismatch(task: "STL10", file: xURL.path, expected: (x.count / size + 1) * size, found: x.count,
                                                 what: "bytes (a whole number of 3×96×96 images)")
            }
            guard x.count / size == y.count else {
                throw DatasetError.countMismatch(task: "STL10", file: yURL.path, expected: x.count / size, found: y.count, what: "labels")
            }
            let set = PlanarImageSet(file: xURL.path, count: y.count, height: 96, width: 96, planes: x, columnMajor: true)
            return try y.enumerated().map { i, raw in
                let label = Int(raw) - 1
                guard (0..<names.count).contains(label) else {
                    throw DatasetError.labelOutOfRange(task: "STL10", file: yURL.path, index: i, label: label, classCount: names.count)
                }
                return TaskSample(source: .planar(set, index: i), label: label)
            }
        }
        return TaskDataset(task: .stl10, classNames: names, trainingSet: try split("train"), testSet: try split("test"))
    }
}
