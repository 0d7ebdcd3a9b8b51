import Datasets
import Foundation
import Testing
@testable import LinesCLI

// Fixtures from `python3 Scripts/fixtures/dataset_fixtures.py`.
private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/datasets/root")

@Suite("lines datasets")
struct DatasetsCommandTests {
    @Test("the listing names every task, found or missing with the file looked for")
    func list() throws {
        let command = try DatasetsCommand.List.parseAsRoot(["--data-location", root.path])
        #expect(command is DatasetsCommand.List)
        let text = DatasetsCommand.List.report(TaskSurvey.all(dataLocation: root))
        #expect(text.contains("MNIST: found  train 45  val 5  test 20  (reference val 5000, test 10000: differs)  10 classes"))
        #expect(text.contains("EuroSAT: found  train 20  val 10  test 10"))
        #expect(text.contains("PCAM: found  train 4  val 0  test 3"))
        #expect(text.contains("FashionMNIST: missing  looked for FashionMNIST/FashionMNIST/raw/train-images-idx3-ubyte[.gz]"))
        #expect(text.hasSuffix("19 of 20 tasks found.\n"))
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(lines.prefix(3).map { String($0.prefix(while: { $0 != ":" })) } == ["EuroSAT", "DTD", "SUN397"])
    }

    @Test("show MNIST --split val prints the random_split indices and their checksum")
    func show() throws {
        let command = try DatasetsCommand.Show.parseAsRoot(["mnistval", "--split", "val", "--data-location", root.path, "--count", "3"])
        guard let show = command as? DatasetsCommand.Show else { Issue.record("not Show"); return }
        let data = try TaskLoader.load(.mnist, dataLocation: root)
        let text = DatasetsCommand.Show.report(data, split: show.split.split, count: show.count)
        let split = RandomSplit(count: 50)
        #expect(text.contains("MNIST val: 5 samples, 10 classes"))
        #expect(text.contains("first indices: \(split.validation.prefix(3).map(String.init).joined(separator: " "))\n"))
        #expect(text.contains("index checksum: \(TaskDataset.checksum(split.validation))"))
    }

    @Test("show --strict refuses splits whose sizes differ from the reference's")
    func strict() throws {
        var command = try DatasetsCommand.Show.parseAsRoot(["MNIST", "--strict", "--data-location", root.path])
        #expect(throws: DatasetError.splitSize(task: "MNIST", split: "val", expected: 5000, found: 5)) { try command.run() }
    }

    @Test("bad arguments are refused in one sentence")
    func validation() {
        #expect(throws: (any Error).self) { try DatasetsCommand.Show.parseAsRoot(["ImageNet", "--data-location", root.path]) }
        #expect(throws: (any Error).self) { try DatasetsCommand.List.parseAsRoot(["--data-location", "/nonexistent-lines"]) }
    }
}
