import Foundation
import Testing
@testable import Demo

private let hasData = FileManager.default.fileExists(atPath: DemoData.debianLocation.appendingPathComponent("train-images-idx3-ubyte.gz").path)
    && DemoFonts.files.allSatisfy { FileManager.default.fileExists(atPath: DemoFonts.root.appendingPathComponent($0).path) }

/// The shipped default is the paper's regime: the full demo (not `--quick`) from the embedded
/// pre-trained model, on the cache `lines demo` uses (`LINES_DEMO_CACHE`, default
/// ~/.cache/lines/demo: seconds when the demo ran before, about three minutes fresh).
@Suite("the demo's default is the paper's regime", .serialized, .enabled(if: hasData, "needs dataset-fashion-mnist and Debian's fonts"))
struct DemoRegimeTests {
    @Test("the embedded pre-trained model is the one its sha256 names")
    func embedded() throws {
        let url = try DemoPretrained.url()
        #expect(try DemoPretrained.digest(of: url) == DemoPretrained.sha256)
        #expect(try DemoPretrained.verified() == url)
        let message = DemoError.pretrainedChecksum(path: url.path, expected: DemoPretrained.sha256, found: "00").description
        #expect(message.contains("lines demo --pretrain") && message.contains(DemoPretrained.sha256))
    }

    @Test("every precondition holds on the shipped default: strong, converged, forgetting fine-tuned models and a merge that works")
    func preconditions() throws {
        let env = ProcessInfo.processInfo.environment
        let cache = env["LINES_DEMO_CACHE"].map { URL(fileURLWithPath: $0) }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo-regime-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let results = try DemoPipeline(settings: DemoSettings(quick: false, output: out, cache: cache)).run()
        let p = DemoPreconditions(results)
        #expect(p.checks.count == 4)
        for check in p.checks { #expect(check.holds == true, "\(check.name): \(check.measured)") }
        #expect(p.summary.hasPrefix("The setting is the paper's"))
        // The report says so first.
        #expect(DemoReport(results).verdicts.first == p.summary)
    }
}
