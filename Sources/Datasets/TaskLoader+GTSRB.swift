import Foundation

extension TaskLoader {
    /// The folders GTSRB is looked for in, in order: the LiNeS reference's (its `GTSRB` wrapper and
    /// `PyTorchGTSRB` each add a `gtsrb/` level: `gtsrb/gtsrb/GTSRB/Training`), then the TALL-masks
    /// reference's and torchvision's (`gtsrb/GTSRB/Training`).
    static let gtsrbBases = ["gtsrb/gtsrb", "gtsrb"]

    /// GTSRB in torchvision's layout: training PPMs by class folder, test PPMs named by the CSV, under
    /// the first of ``gtsrbBases`` that has `GTSRB/Training`.
    static func loadGTSRB(dataLocation: URL) throws -> TaskDataset {
        let base = gtsrbBases.map { dataLocation.appendingPathComponent($0) }.first { base in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: base.appendingPathComponent("GTSRB/Training").path, isDirectory: &isDir) && isDir.boolValue
        } ?? dataLocation.appendingPathComponent("gtsrb")
        let training = try ImageFolder(root: base.appendingPathComponent("GTSRB/Training"), task: "GTSRB") {
            $0.lowercased().hasSuffix(".ppm")
        }
        let names = TaskName.gtsrb.classNames.shipped ?? []
        guard training.classes.count == names.count else {
            throw DatasetError.countMismatch(task: "GTSRB", file: base.appendingPathComponent("GTSRB/Training").path,
                                             expected: names.count, found: training.classes.count, what: "class folders")
        }
        let csv = base.appendingPathComponent("GT-final_test.csv")
        let images = base.appendingPathComponent("GTSRB/Final_Test/Images")
        let lines = try readLines(csv, task: "GTSRB", expected: "the test annotations GT-final_test.csv (Filename;…;ClassId)")
        guard let header = lines.first else {
            throw DatasetError.malformedText(file: csv.path, line: 1, reason: "the file is empty, a header Filename;…;ClassId was expected")
        }
        let columns = header.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let fileColumn = columns.firstIndex(of: "Filename"), let classColumn = columns.firstIndex(of: "ClassId") else {
            throw DatasetError.malformedText(file: csv.path, line: 1, reason: "the header has no Filename and ClassId columns")
        }
        var test: [TaskSample] = []
        for (n, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == columns.count, let label = Int(fields[classColumn]) else {
                throw DatasetError.malformedText(file: csv.path, line: n + 2, reason: "expected \(columns.count) fields with an integer ClassId")
            }
            guard (0..<names.count).contains(label) else {
                throw DatasetError.labelOutOfRange(task: "GTSRB", file: csv.path, index: n, label: label, classCount: names.count)
            }
            let url = images.appendingPathComponent(fields[fileColumn])
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw DatasetError.missing(task: "GTSRB", path: url.path, expected: "the test image named on line \(n + 2) of \(csv.path)")
            }
            test.append(TaskSample(source: .file(url), label: label))
        }
        return TaskDataset(task: .gtsrb, classNames: names, trainingSet: folderSamples(training), testSet: test)
    }
}
