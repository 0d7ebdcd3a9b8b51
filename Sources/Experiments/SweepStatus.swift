import Foundation

/// Where each unit of a planned sweep stands: done (its journal has every evaluation), queued
/// (the scheduler lists its job), failed (its worker left a reason), or missing (neither done
/// nor queued: a cancelled or lost job, to be submitted again).
public struct SweepStatus: Sendable {
    /// One unit's state.
    public enum State: Sendable, Equatable {
        case done
        /// Listed by the scheduler: job id (`123_4`), state (`PENDING`, `RUNNING`), reason.
        case queued(job: String, state: String, reason: String)
        /// Its worker failed with this reason.
        case failed(reason: String)
        case missing
    }

    /// The plan.
    public var plan: SweepPlan
    /// Per unit, in plan order.
    public var states: [State]
    /// The sweep's folder.
    public var folder: SweepFolder

    /// Reads the state of every unit of `plan`; `client` asks the scheduler about the plan's jobs
    /// (nil: only the files are read).
    public init(plan: SweepPlan, folder: SweepFolder, client: SlurmClient?) throws {
        self.plan = plan
        self.folder = folder
        var jobs: [String: SlurmClient.QueuedJob] = [:]
        if let client, client.locate("squeue") != nil {
            var ids: [String] = []
            for s in plan.submissions { ids += [s.validationJob, s.selectionJob].compactMap { $0 } }
            for q in try client.queued(ids) { jobs[q.id] = q }
        }
        var states: [State] = []
        for unit in plan.units {
            var done = false
            if unit.kind == .validation {
                let entries = RunJournal.entries(at: folder.journal(unit.index), fingerprint: plan.fingerprint) ?? [:]
                done = unit.keys.allSatisfy { entries[$0] != nil }
            } else {
                let marker = try? String(contentsOf: folder.selectionMarker, encoding: .utf8)
                done = marker?.trimmingCharacters(in: .whitespacesAndNewlines) == plan.fingerprint
            }
            if done { states.append(.done); continue }
            // The newest submission that included the unit and whose job is still queued.
            var queued: SlurmClient.QueuedJob?
            for s in plan.submissions.reversed() {
                let id: String? = unit.kind == .validation ? (s.units.contains(unit.index) ? s.validationJob.map { "\($0)_\(unit.index)" } : nil) : s.selectionJob
                if let id, let q = jobs[id] { queued = q; break }
            }
            if let q = queued {
                states.append(.queued(job: q.id, state: q.state, reason: q.reason))
            } else if let reason = try? String(contentsOf: folder.failure(unit.index), encoding: .utf8) {
                states.append(.failed(reason: reason.trimmingCharacters(in: .whitespacesAndNewlines)))
            } else {
                states.append(.missing)
            }
        }
        self.states = states
    }

    /// Units in each state.
    public var done: [Int] { plan.units.indices.filter { states[$0] == .done } }
    public var queued: [Int] { plan.units.indices.filter { if case .queued = states[$0] { return true }; return false } }
    public var failed: [Int] { plan.units.indices.filter { if case .failed = states[$0] { return true }; return false } }
    public var missing: [Int] { plan.units.indices.filter { states[$0] == .missing } }

    /// The report `lines run … --status` prints: one line per unit, then the counts.
    public func rendered() -> String {
        var lines = ["Sweep \(folder.url.lastPathComponent): \(plan.units.count) units (plan \(folder.planURL.path))"]
        let width = String(plan.units.count - 1).count
        let summaryWidth = (plan.units.map(\.summary.count).max() ?? 0) + 2
        for (unit, state) in zip(plan.units, states) {
            let head = "  unit \(String(unit.index).padding(toLength: width, withPad: " ", startingAt: 0))  \(unit.summary.padding(toLength: summaryWidth, withPad: " ", startingAt: 0))"
            switch state {
            case .done: lines.append(head + "done")
            case let .queued(job, st, reason):
                lines.append(head + "\(st.lowercased()) (job \(job)\(st == "PENDING" && !reason.isEmpty && reason != "None" ? ", \(reason)" : ""))")
            case let .failed(reason): lines.append(head + "FAILED: \(reason) Log: \(folder.log(unit.index).path)")
            case .missing:
                // A job that ran out of time or memory leaves no note, but its log says why.
                let log = folder.log(unit.index)
                let seen = FileManager.default.fileExists(atPath: log.path) ? "; its last log: \(log.path)" : ""
                lines.append(head + "missing (not done, not queued: run the submitting command again to resubmit\(seen))")
            }
        }
        let running = queued.filter { if case let .queued(_, st, _) = states[$0] { return st != "PENDING" }; return false }.count
        lines.append("\(done.count) done, \(failed.count) failed, \(running) running, \(queued.count - running) pending, \(missing.count) missing.")
        if states.last == .done { lines.append("Results: \(plan.result)") }
        return lines.joined(separator: "\n")
    }
}
