import Foundation

extension TaskLoader {
    /// CIFAR-10 (`cifar-10-batches-py/data_batch_1…5`, `test_batch`) and CIFAR-100
    /// (`cifar-100-python/train`, `test`, `meta`), torchvision's layout.
    static func loadCIFAR(_ task: TaskName, dataLocation: URL) throws -> TaskDataset {
        let ten = task == .cifar10
        let folder = dataLocation.appendingPathComponent(ten ? "cifar-10-batches-py" : "cifar-100-python")
        let trainFiles = ten ? (1...5).map { "data_batch_\($0)" } : ["train"]
        let testFiles = ten ? ["test_batch"] : ["test"]
        let labelKey = ten ? "labels" : "fine_labels"
        let classNames: [String]
        if let shipped = task.classNames.shipped {
            classNames = shipped
        } else {
            let meta = folder.appendingPathComponent("meta")
            guard FileManager.default.fileExists(atPath: meta.path) else {
                throw DatasetError.missing(task: task.rawValue, path: meta.path, expected: "the pickle holding fine_label_names")
            }
            classNames = try CIFARBatch.names(contentsOf: meta, key: "fine_label_names")
        }
        func read(_ names: [String]) throws -> [TaskSample] {
            var samples: [TaskSample] = []
            for name in names {
                let url = folder.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw DatasetError.missing(task: task.rawValue, path: url.path, expected: "the Python pickle batch \(name)")
                }
                let batch = try CIFARBatch(contentsOf: url, labelKey: labelKey)
                for (i, label) in batch.labels.enumerated() {
                    guard (0..<classNames.count).contains(label) else {
                        throw DatasetError.labelOutOfRange(task: task.rawValue, file: url.path, index: i, label: label, classCount: classNames.count)
                    }
                    samples.append(TaskSample(source: .planar(batch.images, index: i), label: label))
                }
            }
            return samples
        }
        return TaskDataset(task: task, classNames: classNames, trainingSet: try read(trainFiles), testSet: try read(testFiles))
    }
}
