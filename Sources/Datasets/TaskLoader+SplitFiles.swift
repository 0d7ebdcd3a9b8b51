import Foundation

extension TaskLoader {
    /// Food-101 as torchvision reads it: `food101/food-101/meta/{train,test}.json` map each class
    /// to `class/id` names of `images/class/id.jpg`; classes are the sorted keys; samples follow the file.
    static func loadFood101(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("food101/food-101")
        var classes: [String] = []
        func split(_ name: String) throws -> [TaskSample] {
            let url = base.appendingPathComponent("meta/\(name).json")
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.missing(task: "Food101", path: url.path, expected: "the split file meta/\(name).json")
            }
            let lists = try OrderedJSONLists(bytes: try GzipDecoder.contents(of: url), name: url.path)
            let sorted = lists.entries.map(\.key).sorted(by: ImageFolder.pythonLess)
            if classes.isEmpty { classes = sorted }
            guard sorted == classes else {
                throw DatasetError.countMismatch(task: "Food101", file: url.path, expected: classes.count, found: sorted.count,
                                                 what: "classes (they must be train.json's)")
            }
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            var samples: [TaskSample] = []
            for (key, names) in lists.entries {
                let label = index[key] ?? 0
                for name in names {
                    let image = base.appendingPathComponent("images/\(name).jpg")
                    guard FileManager.default.fileExists(atPath: image.path) else {
                        throw DatasetError.missing(task: "Food101", path: image.path, expected: "the image listed in \(url.path)")
                    }
                    samples.append(TaskSample(source: .file(image), label: label))
                }
            }
            return samples
        }
        let train = try split("train")
        let test = try split("test")
        return TaskDataset(task: .food101, classNames: classes, trainingSet: train, testSet: test)
    }

    /// Oxford-IIIT Pet as torchvision reads it: `OxfordIIITPet/oxford-iiit-pet/annotations/{trainval,test}.txt`
    /// lines `image_id class_id species breed_id` (class_id from 1), images `images/<image_id>.jpg`.
    static func loadOxfordIIITPet(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("OxfordIIITPet/oxford-iiit-pet")
        func split(_ name: String) throws -> (samples: [TaskSample], ids: [String]) {
            let url = base.appendingPathComponent("annotations/\(name).txt")
            let lines = try readLines(url, task: "OxfordIIITPet", expected: "the split file annotations/\(name).txt")
            var samples: [TaskSample] = []
            var ids: [String] = []
            for (n, line) in lines.enumerated() {
                let fields = line.split(whereSeparator: \.isWhitespace)
                guard fields.count >= 2, let label = Int(fields[1]), label >= 1 else {
                    throw DatasetError.malformedText(file: url.path, line: n + 1, reason: "expected 'image_id class_id …' with class_id from 1")
                }
                let image = base.appendingPathComponent("images/\(fields[0]).jpg")
                guard FileManager.default.fileExists(atPath: image.path) else {
                    throw DatasetError.missing(task: "OxfordIIITPet", path: image.path, expected: "the image named on line \(n + 1) of \(url.path)")
                }
                samples.append(TaskSample(source: .file(image), label: label - 1))
                ids.append(String(fields[0]))
            }
            return (samples, ids)
        }
        let train = try split("trainval")
        let test = try split("test")
        // torchvision: breed names from the image ids ("great_pyrenees_12" → "Great Pyrenees"), ordered by label.
        var names: [Int: String] = [:]
        for (sample, id) in zip(train.samples, train.ids) where names[sample.label] == nil {
            let raw = id.split(separator: "_").dropLast().joined(separator: "_")
            names[sample.label] = raw.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: " ")
        }
        let classCount = (names.keys.max() ?? -1) + 1
        guard names.count == classCount else {
            throw DatasetError.countMismatch(task: "OxfordIIITPet", file: base.appendingPathComponent("annotations/trainval.txt").path,
                                             expected: classCount, found: names.count, what: "breeds with at least one image")
        }
        let classNames = (0..<classCount).map { names[$0] ?? "" }
        for (i, s) in test.samples.enumerated() where s.label >= classCount {
            throw DatasetError.labelOutOfRange(task: "OxfordIIITPet", file: base.appendingPathComponent("annotations/test.txt").path,
                                               index: i, label: s.label, classCount: classCount)
        }
        return TaskDataset(task: .oxfordIIITPet, classNames: classNames, trainingSet: train.samples, testSet: test.samples)
    }

    /// Rendered SST2 as torchvision reads it: `RenderedSST2/rendered-sst2/{train,test}/{negative,positive}/*.png`.
    static func loadRenderedSST2(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("RenderedSST2/rendered-sst2")
        func split(_ name: String) throws -> [TaskSample] {
            let root = base.appendingPathComponent(name)
            let folder = try ImageFolder(root: root, task: "RenderedSST2") { $0.lowercased().hasSuffix("png") }
            guard folder.classes == ["negative", "positive"] else {
                throw DatasetError.missing(task: "RenderedSST2", path: root.path, expected: "exactly the class folders negative/ and positive/")
            }
            return folderSamples(folder)
        }
        return TaskDataset(task: .renderedSST2, classNames: ["negative", "positive"], trainingSet: try split("train"), testSet: try split("test"))
    }
}
