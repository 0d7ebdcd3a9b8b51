import Foundation

extension TaskLoader {
    /// The on-disk layout of a custom task `NAME` under `data_location`:
    /// `NAME/classes.txt` (one class name per line, in label order) and the IDX pairs
    /// `NAME/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` (images `[N, rows, columns]`
    /// u8, gray). Its `XVal` split is made like every reference task's: `random_split` of the
    /// training set with seed 0, val = min(10 %, 5000).
    public static let customLayout = "NAME/classes.txt and NAME/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]"

    /// Whether `name` is usable as a custom task name: letters, digits, `-` and `_`, not a reference task's name.
    public static func isValidCustomName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            && (try? TaskName(named: name)) == nil
    }

    /// Whether `data_location` holds a custom task `name` (its `classes.txt`).
    public static func hasCustomTask(_ name: String, dataLocation: URL) -> Bool {
        isValidCustomName(name)
            && FileManager.default.fileExists(atPath: dataLocation.appendingPathComponent(name).appendingPathComponent("classes.txt").path)
    }

    static func loadCustom(_ name: String, dataLocation: URL) throws -> TaskDataset {
        let task = TaskName.custom(name)
        let folder = dataLocation.appendingPathComponent(name)
        let classesURL = folder.appendingPathComponent("classes.txt")
        guard let data = FileManager.default.contents(atPath: classesURL.path) else {
            throw DatasetError.missing(task: name, path: classesURL.path, expected: "the class names, one per line")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.malformedText(file: classesURL.path, line: 1, reason: "not UTF-8")
        }
        let names = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.count <= 256 else {
            throw DatasetError.malformedText(file: classesURL.path, line: 1, reason: "\(names.count) class names, expected 1 to 256")
        }
        var urls: [URL] = []
        for stem in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            guard let url = findIDX(stem, in: [name], dataLocation: dataLocation) else {
                throw DatasetError.missing(task: name, path: folder.appendingPathComponent(stem).path, expected: "the IDX file \(stem) (raw or .gz)")
            }
            urls.append(url)
        }
        let train = try readIDXPair(images: urls[0], labels: urls[1], task: task, classCount: names.count)
        let test = try readIDXPair(images: urls[2], labels: urls[3], task: task, classCount: names.count)
        return TaskDataset(task: task, classNames: names, trainingSet: train, testSet: test)
    }

    /// Writes a custom task in ``customLayout`` (uncompressed IDX), atomically per file.
    /// - Parameters:
    ///   - train, test: gray images `[count, rows, columns]` row-major, and one label per image.
    /// - Throws: ``DatasetError`` for a bad name, inconsistent sizes, or a write failure.
    public static func writeCustomTask(name: String, dataLocation: URL, classNames: [String], rows: Int, columns: Int,
                                       train: (images: [UInt8], labels: [UInt8]), test: (images: [UInt8], labels: [UInt8])) throws {
        guard isValidCustomName(name) else {
            throw DatasetError.unsupportedTask(task: name, reason: "a custom task name is letters, digits, '-' and '_', and not one of the paper's tasks")
        }
        let folder = dataLocation.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (split, part) in [("train", train), ("t10k", test)] {
            guard part.images.count == part.labels.count * rows * columns else {
                throw DatasetError.countMismatch(task: name, file: split, expected: part.labels.count * rows * columns, found: part.images.count, what: "pixel values")
            }
            if let bad = part.labels.first(where: { Int($0) >= classNames.count }) {
                throw DatasetError.labelOutOfRange(task: name, file: split, index: 0, label: Int(bad), classCount: classNames.count)
            }
            try write(idx: [0, 0, 8, 3] + bigEndian(part.labels.count) + bigEndian(rows) + bigEndian(columns) + part.images,
                      to: folder.appendingPathComponent("\(split)-images-idx3-ubyte"))
            try write(idx: [0, 0, 8, 1] + bigEndian(part.labels.count) + part.labels,
                      to: folder.appendingPathComponent("\(split)-labels-idx1-ubyte"))
        }
        try write(idx: Array((classNames.joined(separator: "\n") + "\n").utf8), to: folder.appendingPathComponent("classes.txt"))
    }

    private static func bigEndian(_ v: Int) -> [UInt8] {
        let u = UInt32(v)
        return [UInt8(u >> 24), UInt8((u >> 16) & 0xff), UInt8((u >> 8) & 0xff), UInt8(u & 0xff)]
    }

    private static func write(idx bytes: [UInt8], to url: URL) throws {
        do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw DatasetError.unreadable(file: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

extension TaskName {
    /// The paper's task named `name` (case-insensitive, `Val` suffix accepted), else the custom
    /// task `name` when `dataLocation` holds one.
    /// - Throws: ``DatasetError/unknownTask(_:)`` when it is neither.
    public static func resolve(_ name: String, dataLocation: URL) throws -> TaskName {
        if let task = try? TaskName(named: name) { return task }
        var custom = name
        if !TaskLoader.hasCustomTask(custom, dataLocation: dataLocation), custom.hasSuffix("Val") { custom.removeLast(3) }
        guard TaskLoader.hasCustomTask(custom, dataLocation: dataLocation) else { throw DatasetError.unknownTask(name) }
        return .custom(custom)
    }
}
