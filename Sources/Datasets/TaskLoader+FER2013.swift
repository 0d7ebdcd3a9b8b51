import Foundation

extension TaskLoader {
    /// FER2013 in either layout: torchvision's CSV (`fer2013/fer2013.csv` with `emotion,pixels,Usage`,
    /// or `fer2013/icml_face_data.csv`; train = `Training` rows, test = `PublicTest` + `PrivateTest`,
    /// as torchvision splits it) when present, else the image folders `fer2013/{train,test}/<emotion>/`.
    ///
    /// The reference reads the Hugging Face copy `Jeneral/fer-2013` (not `data_location`); its
    /// results files imply a 7,178-image test split (ViT-L-14's zero-shot `FER2013:top1` is exactly
    /// 2739/7178), the size of both layouts here (public + private test).
    static func loadFER2013(dataLocation: URL) throws -> TaskDataset {
        let base = dataLocation.appendingPathComponent("fer2013")
        for name in ["fer2013.csv", "icml_face_data.csv"] {
            let csv = base.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: csv.path) { return try loadFER2013CSV(csv) }
        }
        if !FileManager.default.fileExists(atPath: base.appendingPathComponent("train").path),
           FileManager.default.fileExists(atPath: base.appendingPathComponent("train.csv").path) {
            throw DatasetError.unsupportedTask(
                task: "FER2013", reason: "\(base.path) has train.csv/test.csv, whose test.csv holds no labels; provide fer2013.csv or icml_face_data.csv")
        }
        return try loadFER2013Folders(dataLocation: dataLocation)
    }

    /// torchvision's `fer2013.csv` / `icml_face_data.csv`: 48×48 gray pixels as space-separated integers.
    static func loadFER2013CSV(_ csv: URL) throws -> TaskDataset {
        let lines = try readLines(csv, task: "FER2013", expected: "the CSV emotion,pixels,Usage")
        guard let header = lines.first else {
            throw DatasetError.malformedText(file: csv.path, line: 1, reason: "the file is empty, a header emotion,pixels,Usage was expected")
        }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let e = columns.firstIndex(of: "emotion"), let p = columns.firstIndex(of: "pixels"), let u = columns.firstIndex(of: "Usage") else {
            throw DatasetError.malformedText(file: csv.path, line: 1, reason: "the header lacks one of emotion, pixels, Usage")
        }
        var pixels: [String: [UInt8]] = ["train": [], "test": []]
        var labels: [String: [Int]] = ["train": [], "test": []]
        for (n, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let lineNumber = n + 2
            guard fields.count == columns.count, let label = Int(fields[e].trimmingCharacters(in: .whitespaces)), (0..<7).contains(label) else {
                throw DatasetError.malformedText(file: csv.path, line: lineNumber, reason: "expected \(columns.count) fields with an emotion 0–6")
            }
            let usage = fields[u].trimmingCharacters(in: .whitespaces)
            let split: String
            switch usage {
            case "Training": split = "train"
            case "PublicTest", "PrivateTest": split = "test"
            default: throw DatasetError.malformedText(file: csv.path, line: lineNumber, reason: "Usage '\(usage)' is not Training, PublicTest or PrivateTest")
            }
            var image: [UInt8] = []
            image.reserveCapacity(48 * 48)
            for value in fields[p].split(separator: " ") {
                guard let v = UInt8(value) else {
                    throw DatasetError.malformedText(file: csv.path, line: lineNumber, reason: "pixel '\(value)' is not 0–255")
                }
                image.append(v)
            }
            guard image.count == 48 * 48 else {
                throw DatasetError.malformedText(file: csv.path, line: lineNumber, reason: "\(image.count) pixels, expected 2304 (48×48)")
            }
            pixels[split, default: []].append(contentsOf: image)
            labels[split, default: []].append(label)
        }
        func samples(_ split: String) -> [TaskSample] {
            let l = labels[split] ?? []
            let set = GrayImageSet(file: csv.path, count: l.count, rows: 48, columns: 48, pixels: pixels[split] ?? [])
            return l.enumerated().map { TaskSample(source: .gray(set, index: $0.offset), label: $0.element) }
        }
        return TaskDataset(task: .fer2013, classNames: TaskName.fer2013.classNames.shipped ?? [],
                           trainingSet: samples("train"), testSet: samples("test"))
    }
}
