import Tensors
import ArgumentParser
import CLIP
import Demo
import Experiments
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The embedded default: LiNeS on real Fashion-MNIST tasks, offline, with a report.",
        discussion: """
        Builds six tasks from Debian's Fashion-MNIST (apt-get install -y dataset-fashion-mnist): rotated, inverted, zoomed, low-resolution and textured images, and a coarser labelling. Pre-trains a small open_clip-layout ViT on upright images, gives each task a frozen head of class prototypes of the pre-trained features (the zero-shot heads' analogue), fine-tunes one encoder per task with its head frozen, and writes them in the reference's checkpoint layout.

        Then runs the paper's experiments through `lines run`: zero-shot; single-task editing (fine-tuned vs LiNeS, target vs control accuracy, trade-off weight 2); Task Arithmetic, TIES and Consensus merging, each with and without LiNeS. Hyper-parameters are chosen on validation, numbers reported on test.

        Prints the tables and writes OUTPUT/report.html (self-contained, with SVG charts), OUTPUT/report.txt and OUTPUT/demo-results.json. Data, checkpoints and evaluations are cached (--cache, default ~/.cache/lines/demo), so a second run takes seconds; --fresh rebuilds everything.
        """
    )

    @Flag(help: "Reduced sizes (CI): fewer images, fewer training steps.")
    var quick = false

    @Option(help: "Folder for the report (created).")
    var output = "lines-demo"

    @Option(help: "Cache folder for data, checkpoints and run journals (default ~/.cache/lines/demo).")
    var cache: String?

    @Flag(help: "Ignore the cache and rebuild everything.")
    var fresh = false

    @Flag(help: "Show every evaluation with a progress bar.")
    var verbose = false

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let start = Date()
        let out = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        let settings = DemoSettings(quick: quick, output: out, cache: cache.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }, fresh: fresh)
        let pipeline = DemoPipeline(settings: settings)
        pipeline.log = { printError($0) }
        let printer = RunEventPrinter()
        pipeline.onRunEvent = { event in if verbose { printer.handle(event) } }
        let results: DemoResults
        do { results = try pipeline.run() } catch let e as ExperimentError {
            throw CommandFailure(description: e.description)
        }
        let report = DemoReport(results)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try report.document.html().write(to: out.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
        try report.document.text().write(to: out.appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
        try report.json().write(to: out.appendingPathComponent("demo-results.json"), options: .atomic)
        print(report.document.text())
        print("Report: \(out.appendingPathComponent("report.html").path)")
        print(String(format: "Total: %.0f s", Date().timeIntervalSince(start)))
    }
}
