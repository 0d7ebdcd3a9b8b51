import Experiments
import Foundation

extension Run {
    /// The command a worker runs: this executable and this command's overrides (and config
    /// folder), to which the launcher adds `--unit N`.
    /// An `hf://` model_location is given as the cached folder it resolved to, so that workers
    /// (often without network) read the shared cache instead of asking the Hub.
    func workerCommand(_ config: ExperimentConfig) -> [String] {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        var args = [exe, "run"]
        if let dir = configDirectory { args += ["--config-dir", URL(fileURLWithPath: (dir as NSString).expandingTildeInPath).standardizedFileURL.path] }
        return args + overrides.map { $0.hasPrefix("model_location=hf://") ? "model_location=\(config.modelLocation)" : $0 }
    }

    /// This command again with `--status`, for the messages that say how to follow a sweep.
    func statusCommand() -> String {
        (["lines", "run"] + (configDirectory.map { ["--config-dir", $0] } ?? []) + overrides + ["--status"])
            .map { $0.contains(where: { " '\"$`\\;&|<>()[]*?".contains($0) }) ? SlurmSweep.quoted($0) : $0 }
            .joined(separator: " ")
    }

    func submit(_ runner: ExperimentRunner, options: Launcher.SlurmOptions, config: ExperimentConfig) throws {
        let sweep = SlurmSweep(options: options)
        let done = try sweep.submit(runner, command: workerCommand(config), directory: FileManager.default.currentDirectoryPath)
        let folder = SweepFolder(config: config)
        let validationCount = done.plan.units.count - 1
        if let aside = done.setAside {
            printError("The sweep folder held a plan for another configuration or other inputs; it was moved to \(aside.path).")
        }
        printError("Sweep: \(validationCount) validation unit\(validationCount == 1 ? "" : "s") (one per coefficient), then selection + test; plan in \(folder.url.path).")
        if let c = done.cancelledSelection {
            printError("Cancelled the queued selection job \(c): it waited on units that have to be submitted again.")
        }
        if !done.alreadyDone.isEmpty { printError("Already done: unit\(done.alreadyDone.count == 1 ? "" : "s") \(SlurmSweep.arraySpec(done.alreadyDone)).") }
        if !done.stillQueued.isEmpty { printError("Still queued from before: unit\(done.stillQueued.count == 1 ? "" : "s") \(SlurmSweep.arraySpec(done.stillQueued)).") }
        if let job = done.validationJob {
            print("Submitted validation units \(SlurmSweep.arraySpec(done.units)) as job array \(job).")
        }
        if let job = done.selectionJob {
            print("Submitted selection + test (unit \(validationCount)) as job \(job)\(done.validationJob != nil || !done.stillQueued.isEmpty ? ", to start when the validation units succeed" : "").")
        }
        if done.validationJob == nil && done.selectionJob == nil {
            let status = try SweepStatus(plan: done.plan, folder: folder, client: SlurmClient())
            if status.states.last == .done {
                print("Nothing to submit: every unit is done. Results: \(config.resultURL.path)")
            } else {
                print("Nothing to submit: the missing units are already queued.")
            }
            return
        }
        let jobs = [done.validationJob, done.selectionJob].compactMap { $0 }
        printError("Follow it: \(statusCommand())   (or squeue -j \(jobs.joined(separator: ","))); worker logs in \(folder.logs.path)/")
        printError("Results will be written to \(config.resultURL.path)")
    }

    func printStatus(_ config: ExperimentConfig) throws {
        let folder = SweepFolder(config: config)
        guard let plan = try SweepPlan.read(folder.planURL) else {
            throw CommandFailure(description: "No sweep is planned for this configuration (no \(folder.planURL.path)); launcher=slurm submits one, --plan plans one for another scheduler.")
        }
        let status = try SweepStatus(plan: plan, folder: folder, client: SlurmClient())
        print(status.rendered())
    }

    func runUnit(_ index: Int, runner: ExperimentRunner, config: ExperimentConfig) throws {
        let start = Date()
        let units = config.sweepUnits
        let summary = units.indices.contains(index) ? units[index].summary : "?"
        printError("Unit \(index) of \(units.count) (\(summary)): \(config.method.rawValue)\(config.applyLines ? " + LiNeS" : "") on \(config.model).")
        let outcome = try runner.runPlannedUnit(index)
        let total = Date().timeIntervalSince(start)
        let t = runner.timings
        let steps = ["preflight", "merge", "model build", "decode", "forward"]
        let known = steps.reduce(0.0) { $0 + (t[$1] ?? 0) }
        var parts = steps.map { String(format: "\($0) %.3f s", t[$0] ?? 0) }
        parts[3] += " (\(runner.decodeCacheHits) from the cache, \(runner.decodeCacheMisses) decoded)"
        parts.append(String(format: "other %.3f s", max(0, total - known)))
        printError(String(format: "Unit \(index) done in %.3f s: ", total) + parts.joined(separator: ", ") + ".")
        if let outcome { print(RunTable.render(outcome, config: config)) }
    }

    func planUnits(_ runner: ExperimentRunner, config: ExperimentConfig) throws {
        let (plan, aside) = try runner.planSweep(command: workerCommand(config), directory: FileManager.default.currentDirectoryPath)
        if let aside { printError("The sweep folder held a plan for another configuration or other inputs; it was moved to \(aside.path).") }
        let folder = SweepFolder(config: config)
        print("Planned \(plan.units.count) units in \(folder.url.path) (start each in \(plan.directory)):")
        for u in plan.units {
            print("  unit \(u.index): \(u.summary)\(u.kind == .selection ? " (after every validation unit)" : "")")
        }
        print("Each runs: " + plan.command.map { SlurmSweep.quoted($0) }.joined(separator: " ") + " --unit N")
    }
}
