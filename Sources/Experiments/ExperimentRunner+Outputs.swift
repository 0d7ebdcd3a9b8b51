import Checkpoints
import Foundation

extension ExperimentRunner {
    /// Writes the results file, its copy in the Hydra-style run folder and the CSV (all atomic).
    func writeOutputs(_ document: JSONDocument, selected: String, masks: URL?, resumed: Int) throws -> RunOutcome {
        let result = config.resultURL
        try Self.writeAtomically(document.rendered(), to: result)
        let now = Date()
        let day = DateFormatter(), time = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        time.dateFormat = "HH-mm-ss"
        let runFolder = config.logsLocation
            .appendingPathComponent("\(config.model)/\(config.method.rawValue)/\(day.string(from: now))/\(time.string(from: now))")
        let copy = runFolder.appendingPathComponent("\(config.fullName)_nonlinear_additions.json")
        try Self.writeAtomically(document.rendered(), to: copy)
        try Self.writeAtomically(config.tree.yaml(), to: runFolder.appendingPathComponent(".hydra/config.yaml"))
        let csv = result.deletingPathExtension().appendingPathExtension("csv")
        try Self.writeAtomically(Self.csv(document), to: csv)
        return RunOutcome(document: document, selected: selected, resultURL: result, logCopyURL: copy, csvURL: csv,
                          masksURL: masks, resumed: resumed, linesAlpha: nil, layerCount: nil)
    }

    /// One row per (split, coefficient, metric): `split,coefficient,metric,value`.
    static func csv(_ document: JSONDocument) -> String {
        var rows = ["split,coefficient,metric,value"]
        func add(_ split: String, _ label: String, _ metrics: JSONDocument) {
            guard case let .object(entries) = metrics else { return }
            for e in entries {
                if case let .number(v) = e.value { rows.append("\(split),\(label),\(e.key),\(pythonRepr(v))") }
            }
        }
        if case let .object(vals)? = document["val"] {
            for e in vals { add("val", e.key, e.value) }
        }
        if let best = document["val_best"] {
            if case let .object(entries) = best, entries.first.map({ if case .object = $0.value { return true } else { return false } }) == true {
                for e in entries { add("val_best", e.key, e.value) }
            } else {
                add("val_best", "selected", best)
            }
        }
        if let test = document["test"] { add("test", "selected", test) }
        return rows.joined(separator: "\n") + "\n"
    }

    static func writeAtomically(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try AtomicFile(url: url)
        do {
            try file.write(Array(text.utf8), at: 0)
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }
}
