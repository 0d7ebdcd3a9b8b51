import Foundation

extension TaskLoader {
    /// The raw folders tried for an IDX task, first match wins.
    static func idxFolders(_ task: TaskName) -> [String] {
        switch task {
        case .mnist: return ["MNIST/raw"]
        case .fashionMNIST: return ["FashionMNIST/FashionMNIST/raw", "FashionMNIST/raw"]
        case .kmnist: return ["KMNIST/KMNIST/raw", "KMNIST/raw"]
        default: return ["EMNIST/EMNIST/raw", "EMNIST/raw"]
        }
    }

    /// The four file stems of an IDX task (train images, train labels, test images, test labels).
    static func idxStems(_ task: TaskName) -> [String] {
        let (train, test) = task == .emnist ? ("emnist-digits-train", "emnist-digits-test") : ("train", "t10k")
        return ["\(train)-images-idx3-ubyte", "\(train)-labels-idx1-ubyte", "\(test)-images-idx3-ubyte", "\(test)-labels-idx1-ubyte"]
    }

    /// `stem` or `stem.gz` in one of `folders` (uncompressed first, as torchvision reads it).
    static func findIDX(_ stem: String, in folders: [String], dataLocation: URL) -> URL? {
        for folder in folders {
            for name in [stem, stem + ".gz"] {
                let url = dataLocation.appendingPathComponent(folder).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
        }
        return nil
    }

    static func loadIDX(_ task: TaskName, dataLocation: URL) throws -> TaskDataset {
        let folders = idxFolders(task)
        var urls: [URL] = []
        for stem in idxStems(task) {
            guard let url = findIDX(stem, in: folders, dataLocation: dataLocation) else {
                throw DatasetError.missing(
                    task: task.rawValue, path: dataLocation.appendingPathComponent(folders[0]).appendingPathComponent(stem).path,
                    expected: "the IDX file \(stem) (raw or .gz) in \(folders.joined(separator: " or "))")
            }
            urls.append(url)
        }
        let classCount = task.classNames.shipped?.count ?? 10
        let train = try readIDXPair(images: urls[0], labels: urls[1], task: task, classCount: classCount)
        let test = try readIDXPair(images: urls[2], labels: urls[3], task: task, classCount: classCount)
        return TaskDataset(task: task, classNames: task.classNames.shipped ?? [], trainingSet: train, testSet: test)
    }

    /// Reads an images/labels IDX pair into samples.
    /// - Throws: ``DatasetError`` on malformed files, a count mismatch or a label out of range.
    public static func readIDXPair(images: URL, labels: URL, task: TaskName, classCount: Int) throws -> [TaskSample] {
        let imageFile = try IDXFile(contentsOf: images)
        guard imageFile.shape.count == 3 else {
            throw DatasetError.malformedIDX(file: images.path, offset: 3, reason: "\(imageFile.shape.count) dimensions, images need 3 (count, rows, columns)")
        }
        let labelFile = try IDXFile(contentsOf: labels)
        guard labelFile.shape.count == 1 else {
            throw DatasetError.malformedIDX(file: labels.path, offset: 3, reason: "\(labelFile.shape.count) dimensions, labels need 1")
        }
        let count = imageFile.shape[0]
        guard labelFile.shape[0] == count else {
            throw DatasetError.countMismatch(task: task.rawValue, file: labels.path, expected: count, found: labelFile.shape[0], what: "labels")
        }
        let set = GrayImageSet(file: images.path, count: count, rows: imageFile.shape[1], columns: imageFile.shape[2], pixels: imageFile.values)
        var samples: [TaskSample] = []
        samples.reserveCapacity(count)
        for i in 0..<count {
            let label = Int(labelFile.values[i])
            guard label < classCount else {
                throw DatasetError.labelOutOfRange(task: task.rawValue, file: labels.path, index: i, label: label, classCount: classCount)
            }
            samples.append(TaskSample(source: .gray(set, index: i), label: label))
        }
        return samples
    }
}
