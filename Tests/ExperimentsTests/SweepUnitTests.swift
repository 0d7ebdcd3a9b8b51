import Experiments
import Foundation
import Testing

/// A run split into units (`lines run … --plan`, then `--unit N` for each): what every Slurm
/// array task does, run here in process without a scheduler.
@Suite("sweep units without a scheduler", .serialized)
struct SweepUnitTests {
    func runner(_ ws: Workspace, _ extra: [String]) throws -> ExperimentRunner {
        ExperimentRunner(config: try ws.config(extra))
    }

    /// Plans the sweep, runs every validation unit in a fresh runner (as separate processes
    /// would), then the selection unit; returns the results file's text.
    func runAllUnits(_ ws: Workspace, _ extra: [String], order: (Int) -> [Int] = { Array(0..<$0) }) throws -> String {
        let plan = try runner(ws, extra).planSweep(command: ["lines", "run"], directory: ws.root.path).plan
        let validation = plan.units.count - 1
        for i in order(validation) {
            #expect(try runner(ws, extra).runPlannedUnit(i) == nil)
        }
        let outcome = try #require(try runner(ws, extra).runPlannedUnit(validation))
        return try String(contentsOf: outcome.resultURL, encoding: .utf8)
    }

    @Test("units, run in any order, give the reference's results file byte for byte (merging, TALL masks, single-task editing)")
    func unitsMatchWholeRun() throws {
        let cases: [(args: [String], expected: String)] = [
            (["method=ties", "method.apply_lines=true"], "ties_lines"),
            (["method=tall_mask"], "tall_mask"),
            (["method=single_task", "method.apply_lines=true"], "single_task_lines"),
            (["method=zeroshot"], "zeroshot_run"),
        ]
        for c in cases {
            let ws = try Workspace()
            defer { ws.cleanup() }
            let text = try runAllUnits(ws, c.args, order: { Array((0..<$0).reversed()) })
            #expect(text == (try expectedResult(c.expected)), "\(c.expected)")
            // Each validation unit journaled exactly its own evaluations.
            let config = try ws.config(c.args)
            let folder = SweepFolder(config: config)
            let fingerprint = try runner(ws, c.args).sweepFingerprint()
            for unit in config.sweepUnits where unit.kind == .validation {
                let keys = RunJournal.entries(at: folder.journal(unit.index), fingerprint: fingerprint).map { Set($0.keys) }
                #expect(keys == Set(unit.keys), "\(c.expected) unit \(unit.index)")
            }
        }
    }

    @Test("per-task models (mag_masking): the units give a local run's bytes")
    func perTaskModels() throws {
        let local = try Workspace(), units = try Workspace()
        defer { local.cleanup(); units.cleanup() }
        let args = ["method=mag_masking"]
        let expected = try String(contentsOf: runner(local, args).run().resultURL, encoding: .utf8)
        #expect(try runAllUnits(units, args) == expected)
        #expect(try units.config(args).sweepUnits.map(\.label) == ["1.0", ""])
    }

    @Test("the units are one per coefficient, then selection + test, with every task's validation key")
    func unitPlan() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let ties = try ws.config(["method=ties"]).sweepUnits
        #expect(ties.count == 16)
        #expect(ties[2].label == "0.30000000000000004")
        #expect(ties[0].keys == ["val|0.1|EuroSATVal", "val|0.1|GTSRBVal", "val|0.1|CIFAR10Val", "val|0.1|KMNISTVal"])
        #expect(ties.last?.kind == .selection && ties.last?.keys == [])
        #expect(try ws.config(["method=tall_mask", "method.load_mask=true"]).sweepUnits.map(\.label) == ["loaded_mask", ""])
        #expect(try ws.config(["method=zeroshot"]).sweepUnits.map(\.label) == ["0.0", ""])
        #expect(try ws.config(["specify_lambda=0.3"]).sweepUnits.map(\.label) == ["0.3", ""])
    }

    @Test("the selection unit before the validation units names the ones missing; a whole run then reuses the units' results")
    func selectionNeedsEveryUnit() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let args = ["method=ties", "method.apply_lines=true"]
        let plan = try runner(ws, args).planSweep(command: ["lines"], directory: ws.root.path).plan
        for i in [0, 1, 2, 4] { _ = try runner(ws, args).runPlannedUnit(i) }
        do {
            _ = try runner(ws, args).runPlannedUnit(plan.selectionIndex)
            Issue.record("the selection ran without every validation unit")
        } catch let e as ExperimentError {
            #expect(e.description.contains("11 have not finished (units 3, 5, 6, 7, 8, 9, 10, 11, …)"), "\(e.description)")
            #expect(e.description.contains("--status"))
        }
        // Its failure is noted for --status.
        let status = try SweepStatus(plan: plan, folder: SweepFolder(config: try ws.config(args)), client: nil)
        #expect(status.done == [0, 1, 2, 4])
        #expect(status.failed == [plan.selectionIndex])
        #expect(status.missing.count == 11)
        #expect(status.rendered().contains("FAILED: The selection needs every validation unit"))
        // A plain local run takes the four units' evaluations and computes the rest.
        final class Count: @unchecked Sendable { var cached = 0, computed = 0 }
        let count = Count()
        let local = try runner(ws, args)
        local.onEvent = { e in
            if case let .finished(label, _, _, _, cached) = e, label != "fine-tuned" { if cached { count.cached += 1 } else { count.computed += 1 } }
        }
        let outcome = try local.run()
        #expect(count.cached == 16 && count.computed == 15 * 4 + 4 - 16)
        #expect(try String(contentsOf: outcome.resultURL, encoding: .utf8) == (try expectedResult("ties_lines")))
    }

    @Test("a worker without the plan (a folder the nodes do not share) or with changed inputs refuses in one sentence and leaves a note")
    func workerRefusals() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        do {
            _ = try runner(ws, []).runPlannedUnit(0)
            Issue.record("ran without a plan")
        } catch let e as ExperimentError {
            #expect(e.description.hasPrefix("No sweep plan at \(ws.root.path)/logs/.sweep/tiny_4tasks_sum_k=100_merged__/plan.json"))
            #expect(e.description.contains("filesystem every node mounts"))
        }
        let plan = try runner(ws, []).planSweep(command: ["lines"], directory: ws.root.path).plan
        // A fine-tuned checkpoint rewritten after planning.
        let ft = ws.modelLocation.appendingPathComponent("tiny/EuroSATVal/nonlinear_finetuned.pt")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: ft.path)
        do {
            _ = try runner(ws, []).runPlannedUnit(3)
            Issue.record("ran on changed inputs")
        } catch let e as ExperimentError {
            #expect(e.description.hasPrefix("The configuration or its input files changed since the sweep was planned"))
        }
        let folder = SweepFolder(config: try ws.config([]))
        let note = try String(contentsOf: folder.failure(3), encoding: .utf8)
        #expect(note.hasPrefix("The configuration or its input files changed"))
        // Planning again sets the old plan aside instead of mixing it in.
        let again = try runner(ws, []).planSweep(command: ["lines"], directory: ws.root.path)
        #expect(again.plan.fingerprint != plan.fingerprint)
        let aside = try #require(again.setAside)
        #expect(FileManager.default.fileExists(atPath: aside.appendingPathComponent("plan.json").path))
        #expect(try runner(ws, []).runPlannedUnit(3) == nil)
        #expect(!FileManager.default.fileExists(atPath: folder.failure(3).path))
    }

    @Test("launcher keys: typed, checked, refused by name")
    func launcherKeys() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        #expect(try ws.config([]).launcher == .local)
        // The default launcher adds nothing to the tree: --cfg and .hydra/config.yaml stay the reference's.
        #expect(try ws.config([]).tree.value(at: ["launcher"]) == nil)
        #expect(try ws.config(["launcher=local"]).tree.value(at: ["launcher"]) == nil)
        let slurm = try ws.config(["launcher=slurm", "launcher.partition=gpu", "launcher.time=02:00:00", "launcher.cpus_per_task=8",
                                   "launcher.mem=16G", "launcher.gres=gpu:1", "launcher.array_parallelism=4", "launcher.extra=[--account=lab,--qos=high]"])
        #expect(slurm.launcher == .slurm(.init(partition: "gpu", time: "02:00:00", cpusPerTask: 8, mem: "16G", gres: "gpu:1",
                                               arrayParallelism: 4, extra: ["--account=lab", "--qos=high"])))
        func message(_ args: [String]) -> String {
            do { _ = try ws.config(args); return "no error" } catch { return "\(error)" }
        }
        #expect(message(["launcher=slurm", "launcher.cpus_per_task=0"]) == "Config key 'launcher.cpus_per_task' is '0', expected a positive integer.")
        #expect(message(["launcher=slurm", "launcher.time=soon"]).hasPrefix("Config key 'launcher.time' is 'soon', expected a Slurm time limit"))
        #expect(message(["launcher=slurm", "launcher.extra=[account=lab]"]).hasPrefix("Config key 'launcher.extra' is 'account=lab'"))
        #expect(message(["launcher=slurm", "launcher.partiton=gpu"]) == "Unknown config key 'launcher.partiton'; did you mean 'launcher.partition'? (lines run --cfg prints every key)")
        #expect(message(["launcher.partition=gpu"]).hasPrefix("Unknown config key 'launcher.partition'"))
        #expect(message(["launcher=pbs"]) == "Config key 'launcher' is 'pbs', expected local or slurm.")
        // The launcher does not change the fingerprint: a local run and a sweep share results.
        let a = try ExperimentRunner(config: ws.config([])).sweepFingerprint()
        let b = try ExperimentRunner(config: ws.config(["launcher=slurm", "launcher.mem=4G"])).sweepFingerprint()
        #expect(a == b)
    }

    @Test("array specs and the sbatch scripts")
    func scripts() throws {
        #expect(SlurmSweep.arraySpec([0, 1, 2, 3, 5, 7, 8, 9]) == "0-3,5,7-9")
        #expect(SlurmSweep.arraySpec([4]) == "4")
        #expect(SlurmSweep.quoted("it's") == "'it'\\''s'")
        let ws = try Workspace()
        defer { ws.cleanup() }
        let config = try ws.config(["launcher=slurm", "launcher.partition=cpu", "launcher.array_parallelism=3", "launcher.extra=[--account=lab]"])
        guard case let .slurm(options) = config.launcher else { Issue.record("not slurm"); return }
        let plan = try ExperimentRunner(config: config).planSweep(command: ["/opt/lines", "run", "DATASETS=[EuroSAT, GTSRB]"], directory: "/work/dir").plan
        let folder = SweepFolder(config: config)
        let sweep = SlurmSweep(options: options)
        let val = sweep.validationScript(plan, folder: folder, units: [0, 1, 2, 7])
        #expect(val.contains("#SBATCH --array=0-2,7%3\n"))
        #expect(val.contains("#SBATCH --output=\(folder.logs.path)/unit-%a.log\n"))
        #expect(val.contains("#SBATCH --chdir=/work/dir\n#SBATCH --partition=cpu\n#SBATCH --account=lab\n"))
        #expect(val.contains("unset OPENBLAS_CORETYPE LINES_BLAS_CORE_CHOSEN"))
        // A path #SBATCH cannot hold is refused before anything is submitted.
        do {
            _ = try sweep.submit(ExperimentRunner(config: config), command: ["/opt/lines"], directory: "/work dir")
            Issue.record("a folder with a blank was accepted")
        } catch let e as ExperimentError {
            #expect(e.description.hasPrefix("launcher=slurm writes the current folder (/work dir) into #SBATCH lines") || e.description.contains("needs Slurm's sbatch"), "\(e.description)")
        }
        #expect(val.hasSuffix("exec '/opt/lines' 'run' 'DATASETS=[EuroSAT, GTSRB]' --unit \"$SLURM_ARRAY_TASK_ID\"\n"))
        let sel = sweep.selectionScript(plan, folder: folder)
        #expect(sel.contains("#SBATCH --output=\(folder.log(plan.selectionIndex).path)\n"))
        #expect(sel.hasSuffix("--unit \(plan.selectionIndex)\n"))
        #expect(!sel.contains("--array"))
    }
}
