import Foundation

/// Where a sweep keeps its state, under `logs_location` (which every worker must see):
/// `.sweep/{result stem}/` holds `plan.json`, the sbatch scripts, one journal per unit
/// (`journal/unit-N.jsonl`, written only by that unit), failure notes (`failed/unit-N.txt`) and
/// the workers' logs (`logs/unit-N.log`).
public struct SweepFolder: Sendable {
    /// The folder.
    public let url: URL

    public init(config: ExperimentConfig) {
        url = config.logsLocation.appendingPathComponent(".sweep/\(config.resultStem)")
    }

    public var planURL: URL { url.appendingPathComponent("plan.json") }
    public var journals: URL { url.appendingPathComponent("journal") }
    public var failures: URL { url.appendingPathComponent("failed") }
    public var logs: URL { url.appendingPathComponent("logs") }

    public func journal(_ unit: Int) -> URL { journals.appendingPathComponent("unit-\(unit).jsonl") }
    public func failure(_ unit: Int) -> URL { failures.appendingPathComponent("unit-\(unit).txt") }
    public func log(_ unit: Int) -> URL { logs.appendingPathComponent("unit-\(unit).log") }
    public var validationScript: URL { url.appendingPathComponent("validation.sbatch") }
    public var selectionScript: URL { url.appendingPathComponent("selection.sbatch") }

    /// Every unit journal present.
    public var unitJournals: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: journals.path)) ?? []
        return names.filter { $0.hasPrefix("unit-") && $0.hasSuffix(".jsonl") }.sorted().map { journals.appendingPathComponent($0) }
    }
}
