import Tensors
import ArgumentParser
import CLIP
import Demo
import Experiments
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The embedded default: LiNeS in the paper's regime on eight offline image tasks, with a report.",
        discussion: """
        Builds eight tasks that differ as the paper's do, offline: printed digits, capital letters and symbols rendered from Debian's fonts (fonts-dejavu-core, fonts-dejavu-extra, fonts-liberation), drawn shapes, textures and disc counts, and rotated and inverted Fashion-MNIST garments (dataset-fashion-mnist). Starts from the embedded pre-trained model (a small open_clip-layout ViT pre-trained on upright garments and lower-case Latin and Greek letters; its sha256 is checked; --pretrain rebuilds it), gives each task a frozen head made from θ0's features of each class's canonical depictions (the clean glyph in three typefaces, the upright shape, upright garments: the analogue of CLIP's heads built from prompts), fine-tunes one encoder per task with its head frozen to convergence (validation accuracy after every epoch: the training curve), and writes them in the reference's checkpoint layout.

        Then runs the paper's experiments through `lines run`: zero-shot; single-task editing (fine-tuned vs LiNeS, target vs control accuracy, trade-off weight 2); Task Arithmetic, TIES, TSV-M, Iso-C, Iso-CTS, DARE, Breadcrumbs and Consensus merging, each with and without LiNeS. Hyper-parameters are chosen on validation, numbers reported on test.

        The report opens with the preconditions of the paper's setting (strong, converged fine-tuned models far above zero-shot; forgetting; a merge that beats zero-shot with an interior coefficient), measured, and says at the top when one fails.

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

    @Flag(help: "Pre-train θ0 here (about 4 minutes on 2 cores) instead of loading the embedded model; prints the new file's sha256.")
    var pretrain = false

    @Option(help: "Fine-tuning seeds: task t is fine-tuned with seed 100·SEED + t + 1 (another seed, another cache folder; the spread over seeds is in BENCHMARKS.md).")
    var seed = 0

    @Flag(help: "Show every evaluation with a progress bar.")
    var verbose = false

    func validate() throws {
        guard (0...1000).contains(seed) else { throw ValidationError("--seed must be between 0 and 1000, got \(seed)") }
    }

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        let start = Date()
        let out = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        let settings = DemoSettings(quick: quick, output: out, cache: cache.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }, fresh: fresh, pretrain: pretrain, seed: seed)
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
