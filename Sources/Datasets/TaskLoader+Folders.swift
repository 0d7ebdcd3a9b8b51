import Foundation

extension TaskLoader {
    static func folderSamples(_ folder: ImageFolder) -> [TaskSample] {
        folder.samples.map { TaskSample(source: .file($0.url), label: $0.label) }
    }

    /// DTD and SUN397: `train` is the training set, `val` the test set (spec §3.2).
    static func loadTrainValFolders(_ task: TaskName, dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent(task == .dtd ? "dtd" : "sun397")
        let train = try ImageFolder(root: base.appendingPathComponent("train"), task: task.rawValue)
        let test = try ImageFolder(root: base.appendingPathComponent("val"), task: task.rawValue)
        try checkSameClasses(train, test, task: task, testRoot: base.appendingPathComponent("val"))
        let names = train.classes.map { name -> String in
            let trimmed = task == .sun397 ? String(name.dropFirst(2)) : name
            return trimmed.replacingOccurrences(of: "_", with: " ")
        }
        return TaskDataset(task: task, classNames: names, trainingSet: folderSamples(train), testSet: folderSamples(test))
    }

    /// EuroSAT: three dedicated folders, no random split.
    static func loadEuroSAT(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("EuroSAT_splits")
        let train = try ImageFolder(root: base.appendingPathComponent("train"), task: "EuroSAT")
        let val = try ImageFolder(root: base.appendingPathComponent("val"), task: "EuroSAT")
        let test = try ImageFolder(root: base.appendingPathComponent("test"), task: "EuroSAT")
        try checkSameClasses(train, val, task: .eurosat, testRoot: base.appendingPathComponent("val"))
        try checkSameClasses(train, test, task: .eurosat, testRoot: base.appendingPathComponent("test"))
        let shipped = TaskName.eurosat.classNames.shipped ?? []
        // The reference maps the sorted EuroSAT RGB folder names to its class names; other folders would be mislabelled.
        let folders = ["AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
                       "PermanentCrop", "Residential", "River", "SeaLake"]
        guard train.classes == folders else {
            throw DatasetError.missing(task: "EuroSAT", path: base.appendingPathComponent("train").path,
                                       expected: "exactly the EuroSAT RGB class folders \(folders.joined(separator: ", ")), found \(train.classes.joined(separator: ", "))")
        }
        return TaskDataset(task: .eurosat, classNames: shipped, train: folderSamples(train),
                           validation: folderSamples(val), test: folderSamples(test))
    }

    /// RESISC45: the class folders filtered by the split files of "In-domain representation learning for remote sensing".
    static func loadRESISC45(dataLocation: URL) throws -> TaskDataset {
        let root = dataLocation.appendingPathComponent("resisc45/NWPU-RESISC45")
        func split(_ name: String) throws -> [TaskSample] {
            let listURL = dataLocation.appendingPathComponent("resisc45/resisc45-\(name).txt")
            let wanted = try readLines(listURL, task: "RESISC45", expected: "the split file listing one image file name per line")
            let set = Set(wanted)
            let folder = try ImageFolder(root: root, task: "RESISC45") { set.contains(($0 as NSString).lastPathComponent) }
            guard folder.samples.count == set.count else {
                throw DatasetError.countMismatch(task: "RESISC45", file: root.path, expected: set.count,
                                                 found: folder.samples.count, what: "of the images \(listURL.lastPathComponent) lists")
            }
            guard folder.classes == TaskName.resisc45Folders else {
                throw DatasetError.countMismatch(task: "RESISC45", file: root.path, expected: TaskName.resisc45Folders.count,
                                                 found: folder.classes.count, what: "class folders named as NWPU-RESISC45's")
            }
            return folderSamples(folder)
        }
        let names = TaskName.resisc45.classNames.shipped ?? []
        return TaskDataset(task: .resisc45, classNames: names, trainingSet: try split("train"), testSet: try split("test"))
    }

    /// FER2013's image version (`fer2013/{train,test}/<emotion>/`): folders are matched to the
    /// reference's label order (angry, disgusted, fearful, happy, sad, surprised, neutral) by name.
    static func loadFER2013Folders(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("fer2013")
        func split(_ name: String) throws -> [TaskSample] {
            let root = base.appendingPathComponent(name)
            let folder = try ImageFolder(root: root, task: "FER2013")
            var labelOf: [Int] = []
            for cls in folder.classes {
                guard let label = fer2013Label(cls) else {
                    throw DatasetError.missing(task: "FER2013", path: root.appendingPathComponent(cls).path,
                                               expected: "class folders named after the 7 emotions (angry, disgust, fear, happy, sad, surprise, neutral) or 0–6")
                }
                labelOf.append(label)
            }
            return folder.samples.map { TaskSample(source: .file($0.url), label: labelOf[$0.label]) }
        }
        let names = TaskName.fer2013.classNames.shipped ?? []
        return TaskDataset(task: .fer2013, classNames: names, trainingSet: try split("train"), testSet: try split("test"))
    }

    /// The reference's FER2013 label of a class folder name.
    static func fer2013Label(_ folder: String) -> Int? {
        let table: [String: Int] = [
            "angry": 0, "anger": 0, "disgust": 1, "disgusted": 1, "fear": 2, "fearful": 2, "happy": 3,
            "sad": 4, "surprise": 5, "surprised": 5, "neutral": 6,
        ]
        let key = folder.lowercased()
        if let v = table[key] { return v }
        if let v = Int(key), (0..<7).contains(v) { return v }
        return nil
    }

    static func checkSameClasses(_ train: ImageFolder, _ other: ImageFolder, task: TaskName, testRoot: URL) throws {
        guard train.classes == other.classes else {
            throw DatasetError.countMismatch(task: task.rawValue, file: testRoot.path, expected: train.classes.count,
                                             found: other.classes.count, what: "class folders (they must be the training set's)")
        }
    }

    /// Non-empty lines of a text file, whitespace-trimmed.
    static func readLines(_ url: URL, task: String, expected: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.missing(task: task, path: url.path, expected: expected)
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw DatasetError.unreadable(file: url.path, reason: (error as NSError).localizedDescription)
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
