import Foundation

extension TaskLoader {
    /// SVHN as torchvision reads it: `svhn/{train,test}_32x32.mat` with `X` (uint8 32×32×3×N,
    /// column-major) and `y` (labels 1–10, where 10 is the digit 0).
    static func loadSVHN(dataLocation: URL) throws -> TaskDataset {
        func split(_ name: String) throws -> [TaskSample] {
            let url = dataLocation.appendingPathComponent("svhn/\(name)_32x32.mat")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.missing(task: "SVHN", path: url.path, expected: "the MAT-file \(name)_32x32.mat")
            }
            let mat = try MATFile(contentsOf: url)
            let x = try mat.variable("X", file: url.path)
            let y = try mat.variable("y", file: url.path).doubles(file: url.path)
            guard x.dimensions.count == 4, x.dimensions[0] == 32, x.dimensions[1] == 32, x.dimensions[2] == 3, x.storageType == 2 else {
                throw DatasetError.malformedMAT(file: url.path, offset: 0, reason: "'X' is \(x.dimensions) of storage type \(x.storageType), expected uint8 32×32×3×N")
            }
            let count = x.dimensions[3]
            guard x.data.count == count * 3072 else {
                throw DatasetError.malformedMAT(file: url.path, offset: 0, reason: "'X' holds \(x.data.count) bytes for \(count) images of 32×32×3")
            }
            guard y.count == count else {
                throw DatasetError.countMismatch(task: "SVHN", file: url.path, expected: count, found: y.count, what: "labels in 'y'")
            }
            let set = PlanarImageSet(file: url.path, count: count, height: 32, width: 32, planes: x.data, columnMajor: true)
            return try y.enumerated().map { i, v in
                guard v >= 1, v <= 10, v == v.rounded() else {
                    throw DatasetError.labelOutOfRange(task: "SVHN", file: url.path, index: i, label: Int(v), classCount: 10)
                }
                return TaskSample(source: .planar(set, index: i), label: Int(v) % 10)
            }
        }
        return TaskDataset(task: .svhn, classNames: TaskName.svhn.classNames.shipped ?? [], trainingSet: try split("train"), testSet: try split("test"))
    }

    /// Flowers-102 as torchvision reads it: `flowers102/flowers-102/setid.mat` (`trnid`, `tstid`),
    /// `imagelabels.mat` (`labels`, 1–102 per image id) and `jpg/image_#####.jpg`.
    static func loadFlowers102(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("flowers102/flowers-102")
        let setURL = base.appendingPathComponent("setid.mat")
        let labelURL = base.appendingPathComponent("imagelabels.mat")
        for url in [setURL, labelURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw DatasetError.missing(task: "Flowers102", path: url.path, expected: "the MAT-file \(url.lastPathComponent)")
        }
        let sets = try MATFile(contentsOf: setURL)
        let labels = try MATFile(contentsOf: labelURL).variable("labels", file: labelURL.path).doubles(file: labelURL.path)
        let names = TaskName.flowers102.classNames.shipped ?? []
        func split(_ key: String) throws -> [TaskSample] {
            try sets.variable(key, file: setURL.path).doubles(file: setURL.path).map { id in
                let imageID = Int(id)
                guard imageID >= 1, imageID <= labels.count else {
                    throw DatasetError.countMismatch(task: "Flowers102", file: labelURL.path, expected: imageID, found: labels.count,
                                                     what: "labels (setid.mat's '\(key)' names image \(imageID))")
                }
                let label = Int(labels[imageID - 1]) - 1
                guard (0..<names.count).contains(label) else {
                    throw DatasetError.labelOutOfRange(task: "Flowers102", file: labelURL.path, index: imageID - 1, label: label, classCount: names.count)
                }
                let image = base.appendingPathComponent("jpg/image_\(String(format: "%05d", imageID)).jpg")
                guard FileManager.default.fileExists(atPath: image.path) else {
                    throw DatasetError.missing(task: "Flowers102", path: image.path, expected: "the image that setid.mat's '\(key)' lists")
                }
                return TaskSample(source: .file(image), label: label)
            }
        }
        return TaskDataset(task: .flowers102, classNames: names, trainingSet: try split("trnid"), testSet: try split("tstid"))
    }
}

extension TaskLoader {
    /// Stanford Cars as the reference reads it (torchvision's layout): `stanford_cars/devkit/cars_meta.mat`
    /// (`class_names`), `devkit/cars_train_annos.mat` and `cars_test_annos_withlabels.mat`
    /// (`annotations` structs with `fname` and `class` from 1), images in `cars_train/` and `cars_test/`.
    static func loadCars(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("stanford_cars")
        let metaURL = base.appendingPathComponent("devkit/cars_meta.mat")
        guard FileManager.default.fileExists(atPath: metaURL.path) else {
            throw DatasetError.missing(task: "Cars", path: metaURL.path, expected: "the devkit's cars_meta.mat")
        }
        let classNames = try MATFile(contentsOf: metaURL).variable("class_names", file: metaURL.path).elements
            .map { $0.string.replacingOccurrences(of: "_", with: " ") }
        func split(_ annos: String, _ images: String) throws -> [TaskSample] {
            let url = base.appendingPathComponent(annos)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.missing(task: "Cars", path: url.path, expected: "the annotations \(url.lastPathComponent)")
            }
            let annotations = try MATFile(contentsOf: url).variable("annotations", file: url.path)
            let fields = annotations.fieldNames
            guard annotations.classID == 2, let f = fields.firstIndex(of: "fname"), let c = fields.firstIndex(of: "class") else {
                throw DatasetError.malformedMAT(file: url.path, offset: 0, reason: "'annotations' is not a struct array with fname and class fields")
            }
            return try (0..<annotations.count).map { i in
                let name = annotations.elements[i * fields.count + f].string
                let value = try annotations.elements[i * fields.count + c].doubles(file: url.path).first ?? 0
                let label = Int(value) - 1
                guard (0..<classNames.count).contains(label) else {
                    throw DatasetError.labelOutOfRange(task: "Cars", file: url.path, index: i, label: label, classCount: classNames.count)
                }
                let image = base.appendingPathComponent(images).appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: image.path) else {
                    throw DatasetError.missing(task: "Cars", path: image.path, expected: "the image that \(url.lastPathComponent) lists")
                }
                return TaskSample(source: .file(image), label: label)
            }
        }
        return TaskDataset(task: .cars, classNames: classNames,
                           trainingSet: try split("devkit/cars_train_annos.mat", "cars_train"),
                           testSet: try split("cars_test_annos_withlabels.mat", "cars_test"))
    }
}
