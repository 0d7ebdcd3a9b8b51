import Checkpoints
import Datasets
@testable import Demo
import Experiments
import Foundation
import Testing

private let hasFashion = FileManager.default.fileExists(atPath: DemoData.debianLocation.appendingPathComponent("train-images-idx3-ubyte.gz").path)

private func chromium() -> String? {
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: p) {
        return p
    }
    return nil
}

/// `lines demo --quick`, end to end (the library the command calls), on the real Fashion-MNIST
/// and Debian's fonts, from the embedded pre-trained model.
@Suite("lines demo --quick", .serialized, .enabled(if: hasFashion, "needs Debian's dataset-fashion-mnist"))
struct DemoPipelineTests {
    @Test("every table is filled, the report is self-contained, a second run comes from the cache")
    func quickDemo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = DemoSettings(quick: true, output: dir.appendingPathComponent("out"), cache: dir.appendingPathComponent("cache"))
        let results = try DemoPipeline(settings: settings).run()
        #expect(results.merges.map(\.label) == ["TA", "TA+LiNeS", "TIES", "TIES+LiNeS", "TSV-M", "TSV-M+LiNeS", "Iso-C", "Iso-C+LiNeS",
                                                 "Iso-CTS", "Iso-CTS+LiNeS", "DARE", "DARE+LiNeS", "Breadcrumbs", "Breadcrumbs+LiNeS",
                                                 "Consensus", "Consensus+LiNeS"])
        #expect(results.singleTask.count == DemoSuite.tasks.count)
        #expect(results.finetunedAccuracy.count == 2 * DemoSuite.tasks.count)
        let report = DemoReport(results)
        for name in ["tasks", "finetune_curves", "single_task", "single_task_per_target", "merging", "verdicts", "timings"] {
            let table = report.tables[name] ?? []
            #expect(table.count > 1, "\(name)")
            for row in table { #expect(!row.contains("-"), "\(name): \(row)") }
        }
        // The preconditions first, then one per merge method with a LiNeS row (TA, TIES, TSV-M,
        // Iso-C, Iso-CTS, DARE, Breadcrumbs, Consensus) and the single-task one.
        #expect(report.verdicts.count == 10)
        #expect(report.tables["preconditions"]?.count == 5)
        #expect(report.tables["preconditions"]?.dropFirst().allSatisfy { ["holds", "FAILS"].contains($0[3]) } == true)
        #expect(report.verdicts.first == DemoPreconditions(results).summary)
        let html = report.document.html()
        #expect(html.components(separatedBy: "<svg").count - 1 == 5)
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        // Honest accounting: every fine-tuned model is evaluated, and the merges' chosen values are on their grids.
        for m in results.merges { #expect(Double(m.outcome.selected) != nil, "\(m.label)") }

        // Cached: no training, every evaluation from the journals, same numbers.
        final class Counter: @unchecked Sendable { var computed = 0; var cached = 0; var lines: [String] = []; var recomputed: [String] = [] }
        let counter = Counter()
        let pipeline = DemoPipeline(settings: settings)
        pipeline.log = { counter.lines.append($0) }
        pipeline.onRunEvent = { event in
            if case let .finished(label, dataset, _, _, cached) = event {
                if cached { counter.cached += 1 } else { counter.computed += 1; counter.recomputed.append("\(dataset) [\(label)]") }
            }
        }
        let again = try pipeline.run()
        #expect(counter.computed == 0 && counter.cached > 100, "evaluated again: \(counter.recomputed.prefix(12))")
        #expect(!counter.lines.contains { ($0.hasPrefix("fine-tuned ") && $0.contains(" steps, ")) || $0.hasPrefix("pre-training: ViT") })
        #expect(DemoReport(again).tables["merging"] == report.tables["merging"])

        // The HTML renders in headless Chromium with no console errors, and the page is not blank.
        guard let browser = chromium() else {
            print("skipping the Chromium check: no chromium (apt-get install -y chromium)")
            return
        }
        let page = dir.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let shot = dir.appendingPathComponent("shot.png")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: browser)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
                       "--window-size=1000,1400", "--screenshot=\(shot.path)", page.absoluteString]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(!log.contains("CONSOLE"), "console messages: \(log)")
        let image = try ImageDecoder.decode(contentsOf: shot)
        #expect(image.width == 1000 && image.height == 1400)
        let distinct = Set(stride(from: 0, to: image.pixels.count, by: 3 * 97).map { image.pixels[$0] })
        #expect(distinct.count > 8, "the screenshot is blank")
    }

    @Test("--pretrain pre-trains θ0 here on the mixture of garments and glyphs and names its sha256; the embedded one is left alone")
    func pretrainHere() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo-pretrain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = DemoSettings(quick: true, output: dir.appendingPathComponent("out"), cache: dir.appendingPathComponent("cache"), pretrain: true)
        #expect(settings.root.lastPathComponent == "quick-pretrained-here")
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let pipeline = DemoPipeline(settings: settings)
        pipeline.log = { lines.all.append($0) }
        try pipeline.prepareData()
        let theta0 = try pipeline.pretrain()
        let sha = try DemoPretrained.digest(of: theta0)
        #expect(sha != DemoPretrained.sha256)
        #expect(lines.all.contains { $0.hasPrefix("pre-training: ViT") && $0.contains("60 classes") })
        #expect(lines.all.contains { $0.contains("sha256 \(sha)") })
        // The pre-trained model has the embedded one's tensors (names and shapes).
        let here = try Checkpoint.open(theta0), shipped = try Checkpoint.open(try DemoPretrained.verified())
        #expect(here.sortedNames == shipped.sortedNames)
        for t in shipped.tensors { #expect(here.info(t.name)?.shape == t.shape, "\(t.name)") }
    }
}
