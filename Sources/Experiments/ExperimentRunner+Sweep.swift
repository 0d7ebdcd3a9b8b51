import Foundation

extension ExperimentRunner {
    /// The fingerprint a sweep's plan and workers share: the configuration (launcher, batch size
    /// and output folders aside) and the size and time of every input file, after preflight and
    /// after any missing head was built.
    public func sweepFingerprint() throws -> String {
        let plan = try preflight()
        try buildMissingHeads(plan)
        return fingerprint(plan)
    }

    /// Plans the sweep in ``SweepFolder`` for a scheduler: writes `plan.json` with the units and
    /// the worker command (`command` + `--unit N`, started in `directory`). A plan with the same
    /// fingerprint keeps its submissions; one for another configuration is set aside first
    /// (`.sweep/{stem}.stale-{time}`), never mixed in.
    /// - Returns: the plan, and the folder an older plan was moved to, if any.
    public func planSweep(command: [String], directory: String) throws -> (plan: SweepPlan, setAside: URL?) {
        let fingerprint = try sweepFingerprint()
        let folder = SweepFolder(config: config)
        var plan = SweepPlan(fingerprint: fingerprint, result: config.resultURL.path, units: config.sweepUnits,
                             command: command, directory: directory)
        var setAside: URL?
        if let existing = try SweepPlan.read(folder.planURL) {
            if existing.fingerprint == fingerprint && existing.units == plan.units {
                plan.submissions = existing.submissions
            } else {
                let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "-")
                let aside = folder.url.deletingLastPathComponent().appendingPathComponent("\(folder.url.lastPathComponent).stale-\(stamp)")
                try FileManager.default.moveItem(at: folder.url, to: aside)
                setAside = aside
            }
        }
        try FileManager.default.createDirectory(at: folder.logs, withIntermediateDirectories: true)
        try plan.write(to: folder.planURL)
        return (plan, setAside)
    }

    /// Runs unit `index` of the planned sweep, as a worker does: the plan must be there (the
    /// run folder is shared) and be for this configuration and these inputs. A failure is noted
    /// in ``SweepFolder/failure(_:)`` (its one-sentence reason) before it is thrown; success
    /// removes the note, and the selection unit marks itself done.
    /// - Returns: the run's outcome for the selection unit, `nil` for a validation unit.
    public func runPlannedUnit(_ index: Int) throws -> RunOutcome? {
        let folder = SweepFolder(config: config)
        guard let plan = try SweepPlan.read(folder.planURL) else {
            throw ExperimentError.sweep("No sweep plan at \(folder.planURL.path): this worker does not see the folder the sweep was planned in, so logs_location (\(config.logsLocation.path)) must be on a filesystem every node mounts at the same path (or plan the sweep first: lines run … launcher=slurm, or --plan).")
        }
        let fm = FileManager.default
        try? fm.removeItem(at: folder.failure(index))
        do {
            let fingerprint = try timed("preflight") { try sweepFingerprint() }
            guard fingerprint == plan.fingerprint, plan.units == config.sweepUnits else {
                throw ExperimentError.sweep("The configuration or its input files changed since the sweep was planned (\(folder.planURL.path)): unit \(index) refuses to mix results; run the submitting command again to plan the new sweep.")
            }
            let outcome = try runUnit(index)
            if index == plan.selectionIndex {
                try Self.writeAtomically(fingerprint + "\n", to: folder.selectionMarker)
            }
            return outcome
        } catch {
            try? fm.createDirectory(at: folder.failures, withIntermediateDirectories: true)
            let reason = (error as? ExperimentError)?.description ?? "\(error)"
            try? Self.writeAtomically(reason + "\n", to: folder.failure(index))
            throw error
        }
    }
}

extension SweepFolder {
    /// Written by the selection unit when it has written the results.
    public var selectionMarker: URL { journals.appendingPathComponent("selection.done") }
}
