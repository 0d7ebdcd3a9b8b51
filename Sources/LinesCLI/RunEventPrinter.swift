import Experiments
import Foundation

/// Renders a run's events on stderr: a progress bar per split with images/s and ETA, notes as lines.
final class RunEventPrinter {
    private var bar: ProgressBar?

    func handle(_ event: RunEvent) {
        switch event {
        case let .note(text):
            printError(text)
        case let .started(label, dataset, images):
            bar = ProgressBar("\(dataset) [\(label)]", total: images, unit: "images")
        case let .progress(done, _):
            bar?.update(done)
        case let .finished(label, dataset, top1, rate, cached):
            bar = nil
            let how = cached ? "from the journal" : rate.map { String(format: "%.1f images/s", $0) } ?? ""
            printError(String(format: "  %@ [%@]: top-1 %.2f%% (%@)", dataset, label, 100 * top1, how))
        }
    }
}
