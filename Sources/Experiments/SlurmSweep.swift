import Foundation
import Tensors

/// Submits a planned sweep to Slurm: the validation units that are neither done nor queued as
/// one job array (`--array`, `%array_parallelism`), and selection + test as one job that starts
/// after them (`--dependency=afterok:…`, `--kill-on-invalid-dep=yes`). Submitting again submits
/// only what is missing; everything is recorded in the plan.
public struct SlurmSweep: Sendable {
    /// The `launcher.*` settings.
    public var options: Launcher.SlurmOptions
    /// The scheduler's commands.
    public var client: SlurmClient

    public init(options: Launcher.SlurmOptions, client: SlurmClient = SlurmClient()) {
        self.options = options
        self.client = client
    }

    /// What one submission did.
    public struct Submitted: Sendable {
        /// The plan after it (with the new submission recorded).
        public var plan: SweepPlan
        /// The job array and the units in it (nil: no validation unit was missing).
        public var validationJob: String?
        public var units: [Int]
        /// The selection job (nil: the results are done, or its job is already queued).
        public var selectionJob: String?
        /// Validation units already done or still queued from earlier submissions.
        public var alreadyDone: [Int]
        public var stillQueued: [Int]
        /// The folder an older plan for another configuration was moved to.
        public var setAside: URL?
        /// A queued selection job of an earlier submission that was cancelled (it waited on a unit that cannot succeed any more).
        public var cancelledSelection: String?
    }

    /// Plans the sweep of `runner` and submits what is missing.
    /// - Parameters:
    ///   - command: the worker command without `--unit` (executable first).
    ///   - directory: where workers start.
    /// - Throws: ``ExperimentError/sweep(_:)`` in one sentence: sbatch missing, an unknown
    ///   partition, another sweep still queued on the same results file, sbatch's refusal.
    public func submit(_ runner: ExperimentRunner, command: [String], directory: String) throws -> Submitted {
        // #SBATCH lines are split on blanks and expand %: their paths must have neither.
        for (what, path) in [("logs_location", SweepFolder(config: runner.config).url.path), ("the current folder", directory)]
        where path.contains(where: { $0.isWhitespace || "%\"'\\".contains($0) }) {
            throw ExperimentError.sweep("launcher=slurm writes \(what) (\(path)) into #SBATCH lines, which cannot hold blanks, quotes, backslashes or %; use a path without them.")
        }
        try client.require("sbatch")
        if let p = options.partition, let known = try client.partitions(), !known.contains(p) {
            throw ExperimentError.sweep("launcher.partition=\(p): Slurm has no such partition (sinfo lists \(known.isEmpty ? "none" : known.joined(separator: ", "))).")
        }
        let folder = SweepFolder(config: runner.config)
        // Another sweep (another configuration) on the same results file must have left the queue.
        if let existing = try SweepPlan.read(folder.planURL), existing.fingerprint != (try runner.sweepFingerprint()) || existing.units != runner.config.sweepUnits {
            let ids = existing.submissions.flatMap { [$0.validationJob, $0.selectionJob].compactMap { $0 } }
            var active = try client.queued(ids)
            // A selection job still pending after every validation job has left the queue waits
            // on a unit that failed or was cancelled: it can never start, so it is cancelled.
            let selections = Set(existing.submissions.compactMap(\.selectionJob))
            if active.allSatisfy({ selections.contains($0.id) && $0.state == "PENDING" }) {
                for job in active { try client.cancel(job.id) }
                active = []
            }
            if !active.isEmpty {
                throw ExperimentError.sweep("Another sweep, for a different configuration or other input files, is still queued on the same results file \(existing.result) (jobs \(Set(active.map { $0.id.split(separator: "_")[0] }).sorted().joined(separator: ", ")), plan \(folder.planURL.path)); wait for it or scancel those jobs before submitting this one, or give this one other results_location and logs_location.")
            }
        }
        var (plan, setAside) = try runner.planSweep(command: command, directory: directory)
        let status = try SweepStatus(plan: plan, folder: folder, client: client)
        let validation = plan.units.filter { $0.kind == .validation }.map(\.index)
        let missing = validation.filter { status.states[$0] != .done && !status.queued.contains($0) }
        let queued = validation.filter { status.queued.contains($0) }
        let selection = plan.selectionIndex
        var submitted = Submitted(plan: plan, validationJob: nil, units: missing, selectionJob: nil,
                                  alreadyDone: validation.filter { status.states[$0] == .done }, stillQueued: queued, setAside: setAside)
        if status.states[selection] == .done && missing.isEmpty { return submitted }
        // A queued selection job waits on jobs that include units now missing: it would never start.
        var selectionQueued = status.queued.contains(selection)
        if selectionQueued, !missing.isEmpty, case let .queued(job, state, _) = status.states[selection], state == "PENDING" {
            try client.cancel(job)
            submitted.cancelledSelection = job
            selectionQueued = false
        }
        try FileManager.default.createDirectory(at: folder.logs, withIntermediateDirectories: true)
        var after: [String] = queued.compactMap { i in
            if case let .queued(job, _, _) = status.states[i] { return job }
            return nil
        }
        // Each job is recorded in the plan as soon as sbatch accepts it, so that a later refusal
        // never leaves a submitted job unknown to --status and to the next submission.
        plan.submissions.append(.init(validationJob: nil, units: [], selectionJob: nil, date: ISO8601DateFormatter().string(from: Date())))
        let record = plan.submissions.count - 1
        if !missing.isEmpty {
            try write(validationScript(plan, folder: folder, units: missing), to: folder.validationScript)
            let job = try client.submit(folder.validationScript)
            submitted.validationJob = job
            after.append(job)
            plan.submissions[record].validationJob = job
            plan.submissions[record].units = missing
            try plan.write(to: folder.planURL)
        }
        if !selectionQueued && status.states[selection] != .done {
            try write(selectionScript(plan, folder: folder), to: folder.selectionScript)
            let dependency = after.isEmpty ? [] : ["--dependency=afterok:" + after.joined(separator: ":"), "--kill-on-invalid-dep=yes"]
            submitted.selectionJob = try client.submit(folder.selectionScript, options: dependency)
            plan.submissions[record].selectionJob = submitted.selectionJob
            try plan.write(to: folder.planURL)
        }
        submitted.plan = plan
        return submitted
    }

    /// `0-3,5,7-9`: sorted indices with runs collapsed, as `--array` takes them.
    public static func arraySpec(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let s = Array(Set(indices)).sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count, s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// The array job's script: one validation unit per array task.
    public func validationScript(_ plan: SweepPlan, folder: SweepFolder, units: [Int]) -> String {
        var header = ["--array=\(Self.arraySpec(units))\(options.arrayParallelism.map { "%\($0)" } ?? "")",
                      "--output=\(folder.logs.appendingPathComponent("unit-%a.log").path)"]
        header += common(plan, name: "val")
        return script(header, plan: plan, unit: "\"$SLURM_ARRAY_TASK_ID\"")
    }

    /// The selection + test job's script.
    public func selectionScript(_ plan: SweepPlan, folder: SweepFolder) -> String {
        var header = ["--output=\(folder.log(plan.selectionIndex).path)"]
        header += common(plan, name: "select")
        return script(header, plan: plan, unit: String(plan.selectionIndex))
    }

    func common(_ plan: SweepPlan, name: String) -> [String] {
        let stem = URL(fileURLWithPath: plan.result).deletingPathExtension().lastPathComponent
        var lines = ["--job-name=lines-\(name)-\(String(stem.prefix(40)))", "--open-mode=append", "--chdir=\(plan.directory)"]
        if let p = options.partition { lines.append("--partition=\(p)") }
        if let t = options.time { lines.append("--time=\(t)") }
        if let c = options.cpusPerTask { lines.append("--cpus-per-task=\(c)") }
        if let m = options.mem { lines.append("--mem=\(m)") }
        if let g = options.gres { lines.append("--gres=\(g)") }
        return lines + options.extra
    }

    func script(_ header: [String], plan: SweepPlan, unit: String) -> String {
        var text = "#!/bin/bash\n# Written by lines run launcher=slurm; the plan is \(plan.fingerprint) in plan.json beside this file.\n"
        for h in header { text += "#SBATCH \(h)\n" }
        text += "set -eu\n"
        // A BLAS kernel Lines chose for the submitting machine's CPU is not this node's choice.
        text += "if [ \"${\(OpenBLASKernel.chosenMarker):-}\" = 1 ]; then unset OPENBLAS_CORETYPE \(OpenBLASKernel.chosenMarker); fi\n"
        text += "echo \"== $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname): job ${SLURM_JOB_ID:-?}\"\n"
        text += "exec " + plan.command.map(Self.quoted).joined(separator: " ") + " --unit \(unit)\n"
        return text
    }

    /// `s` in single quotes for the shell.
    public static func quoted(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    func write(_ text: String, to url: URL) throws {
        try ExperimentRunner.writeAtomically(text, to: url)
    }
}
