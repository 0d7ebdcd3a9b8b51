import Experiments
import Foundation
import TestSupport
import Testing

/// Whether a Slurm cluster answers here (`Scripts/test.sh` starts a one-node one with
/// `Scripts/slurm-cluster.sh` and exports `SLURM_CONF`).
enum SlurmCluster {
    static let up: Bool = {
        guard let parts = try? SlurmClient().partitions() else { return false }
        return !parts.isEmpty
    }()
    static let note: Comment = "no Slurm cluster answers (sinfo); Scripts/test.sh starts one with Scripts/slurm-cluster.sh (root, Debian's slurmctld/slurmd/munge)"
}

/// `lines run … launcher=slurm` on a real Slurm (slurmctld + slurmd + munge on this machine):
/// submitted, waited for, compared byte for byte with a local run; a cancelled array task
/// resubmitted alone; a failing unit reported with its log.
@Suite("lines run on Slurm", .serialized, .enabled(if: SlurmCluster.up, SlurmCluster.note))
struct SlurmSweepTests {
    let client = SlurmClient()

    func lines(_ ws: Workspace, _ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let exe = try #require(LinesProcess.executable, "the lines executable is not built")
        return try LinesProcess.run(exe, ["run"] + ws.overrides(args), environment: environment)
    }

    /// Polls `--status` until `done(status)` or the time is up.
    func wait(_ ws: Workspace, _ args: [String], seconds: Double = 240, until done: (SweepStatus) -> Bool) throws -> SweepStatus {
        let config = try ws.config(args)
        let folder = SweepFolder(config: config)
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let plan = try #require(try SweepPlan.read(folder.planURL))
            let status = try SweepStatus(plan: plan, folder: folder, client: client)
            if done(status) { return status }
            if Date() > deadline {
                Issue.record("the sweep did not get there in \(seconds) s:\n\(status.rendered())")
                return status
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Cancels every job the sweep of `args` submitted (a test that stops early leaves none queued).
    func cancelAll(_ ws: Workspace, _ args: [String]) {
        guard let config = try? ws.config(args), let plan = try? SweepPlan.read(SweepFolder(config: config).planURL) else { return }
        for s in plan.submissions {
            for job in [s.validationJob, s.selectionJob].compactMap({ $0 }) { try? client.cancel(job) }
        }
    }

    /// No validation unit queued any more (a selection job still queued then waits on a unit
    /// that cannot succeed: Slurm cancels it only at its next periodic check, up to a minute).
    func settled(_ s: SweepStatus) -> Bool {
        !s.queued.contains { $0 != s.plan.selectionIndex }
    }

    func scontrol(_ args: [String]) throws {
        let r = try client.run("scontrol", args)
        #expect(r.status == 0, "scontrol \(args): \(r.err)")
    }

    /// The job ids `lines run … launcher=slurm` printed.
    func jobs(_ text: String) -> (array: String?, selection: String?) {
        func after(_ marker: String) -> String? {
            guard let r = text.range(of: marker) else { return nil }
            let id = String(text[r.upperBound...].prefix { $0.isNumber })
            return id.isEmpty ? nil : id
        }
        return (after("as job array "), after(") as job "))
    }

    @Test("a sweep on Slurm writes the same results file as a local run, byte for byte")
    func sweepMatchesLocal() throws {
        let local = try Workspace()
        defer { local.cleanup() }
        let args = ["method=sum", "method.apply_lines=true"]
        let expected = try String(contentsOf: ExperimentRunner(config: local.config(args)).run().resultURL, encoding: .utf8)
        #expect(expected == (try expectedResult("sum_lines")))

        let ws = try Workspace()
        defer { ws.cleanup() }
        defer { cancelAll(ws, args) }
        let r = try lines(ws, args + ["launcher=slurm", "launcher.cpus_per_task=1", "launcher.time=10"])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = jobs(r.stdout)
        #expect(r.stdout.contains("Submitted validation units 0-9 as job array \(ids.array ?? "?")."), "\(r.stdout)")
        #expect(ids.selection != nil)
        #expect(r.stderr.contains("--status"))
        let status = try wait(ws, args) { $0.states.last == .done || !$0.failed.isEmpty }
        #expect(status.done.count == 11, "\(status.rendered())")
        let result = try ws.config(args).resultURL
        #expect(try String(contentsOf: result, encoding: .utf8) == expected)
        // --status says so, and the command again submits nothing.
        let shown = try lines(ws, args + ["--status"])
        #expect(shown.stdout.contains("11 done, 0 failed, 0 running, 0 pending, 0 missing."), "\(shown.stdout)")
        let again = try lines(ws, args + ["launcher=slurm"])
        #expect(again.status == 0 && again.stdout.contains("Nothing to submit: every unit is done."), "\(again.stdout)\(again.stderr)")
        // The workers' logs have their timing line.
        let log = try String(contentsOf: SweepFolder(config: ws.config(args)).log(4), encoding: .utf8)
        #expect(log.contains("Unit 4 done in "), "\(log)")
    }

    @Test("a cancelled array task is all the rerun submits, and the results are still the local run's")
    func cancelledUnitResubmitted() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let args = ["method=sum", "method.apply_lines=true"]
        defer { cancelAll(ws, args) }
        // Held, so that one index can be cancelled before anything runs.
        let r = try lines(ws, args + ["launcher=slurm", "launcher.extra=[--hold]"])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = jobs(r.stdout)
        let array = try #require(ids.array), selection = try #require(ids.selection)
        try client.cancel("\(array)_3")
        try scontrol(["release", array])
        try scontrol(["release", selection])
        let status = try wait(ws, args) { s in s.done.count == 9 && settled(s) }
        #expect(status.states[3] == .missing, "\(status.rendered())")
        let shown = try lines(ws, args + ["--status"])
        let line = shown.stdout.split(separator: "\n").first { $0.hasPrefix("  unit 3 ") } ?? ""
        #expect(line.contains("validation at 0.4") && line.hasSuffix("missing (not done, not queued: run the submitting command again to resubmit)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("9 done, 0 failed, 0 running, "), "\(shown.stdout)")

        let again = try lines(ws, args + ["launcher=slurm"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Submitted validation units 3 as job array "), "\(again.stdout)")
        #expect(again.stderr.contains("Already done: units 0-2,4-9."), "\(again.stderr)")
        let script = try String(contentsOf: SweepFolder(config: ws.config(args)).validationScript, encoding: .utf8)
        #expect(script.contains("#SBATCH --array=3\n"))
        let done = try wait(ws, args) { $0.states.last == .done || !$0.failed.isEmpty }
        #expect(done.done.count == 11, "\(done.rendered())")
        #expect(try String(contentsOf: ws.config(args).resultURL, encoding: .utf8) == (try expectedResult("sum_lines")))
        let plan = try #require(try SweepPlan.read(SweepFolder(config: ws.config(args)).planURL))
        #expect(plan.submissions.count == 2 && plan.submissions[1].units == [3])
    }

    @Test("a failing unit is reported with its reason and its log")
    func failingUnitReported() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let args = ["specify_lambda=0.3"]
        defer { cancelAll(ws, args) }
        let r = try lines(ws, args + ["launcher=slurm", "launcher.extra=[--hold]"])
        #expect(r.status == 0, "\(r.stderr)")
        let ids = jobs(r.stdout)
        // A head rewritten between submission and run: every worker must refuse to mix results.
        let head = ws.modelLocation.appendingPathComponent("tiny/head_GTSRBVal.safetensors")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)], ofItemAtPath: head.path)
        try scontrol(["release", try #require(ids.array)])
        try scontrol(["release", try #require(ids.selection)])
        let status = try wait(ws, args) { s in s.failed == [0] && settled(s) }
        let shown = try lines(ws, args + ["--status"])
        let log = SweepFolder(config: try ws.config(args)).log(0)
        let line = shown.stdout.split(separator: "\n").first { $0.hasPrefix("  unit 0 ") } ?? ""
        #expect(line.contains("validation at 0.3") && line.contains("FAILED: The configuration or its input files changed since the sweep was planned"), "\(shown.stdout)")
        #expect(shown.stdout.contains("Log: \(log.path)"), "\(shown.stdout)")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("changed since the sweep was planned"))
        #expect(status.states.last != .done)
        // Submitting again plans the new inputs (the old plan set aside) and succeeds.
        let again = try lines(ws, args + ["launcher=slurm"])
        #expect(again.status == 0 && again.stderr.contains("was moved to"), "\(again.stderr)")
        let done = try wait(ws, args) { $0.states.last == .done || !$0.failed.isEmpty }
        #expect(done.done.count == 2, "\(done.rendered())")
    }

    @Test("bad input: unknown partition, a second sweep on the same results file")
    func refusals() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let bad = try lines(ws, ["launcher=slurm", "launcher.partition=nosuch"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("launcher.partition=nosuch: Slurm has no such partition (sinfo lists debug"), "\(bad.stderr)")

        let first = try lines(ws, ["launcher=slurm", "launcher.extra=[--hold]"])
        #expect(first.status == 0, "\(first.stderr)")
        let ids = jobs(first.stdout)
        defer { for j in [ids.array, ids.selection].compactMap({ $0 }) { try? client.cancel(j) } }
        // Same results file (the stem has no specify_lambda), other configuration.
        let second = try lines(ws, ["specify_lambda=0.5", "launcher=slurm"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("Another sweep, for a different configuration or other input files, is still queued on the same results file"), "\(second.stderr)")
        #expect(second.stderr.contains(ids.array ?? "?"))
    }
}

@Suite("lines run launcher=slurm without Slurm")
struct SlurmMissingTests {
    @Test("no sbatch on PATH: one sentence, nothing planned")
    func noSbatch() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let exe = try #require(LinesProcess.executable, "the lines executable is not built")
        let r = try LinesProcess.run(exe, ["run"] + ws.overrides(["launcher=slurm"]), environment: ["PATH": "/nonexistent"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("launcher=slurm needs Slurm's sbatch on PATH, and there is none"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: ws.root.appendingPathComponent("logs/.sweep").path))
        let status = try LinesProcess.run(exe, ["run"] + ws.overrides(["--status"]))
        #expect(status.status != 0 && status.stderr.contains("No sweep is planned for this configuration"), "\(status.stderr)")
    }
}
