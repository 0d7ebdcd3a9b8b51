import Tensors
import ArgumentParser
import CLIP
import Experiments
import Hub
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reference's experiment protocol (its main.py) with the same config keys and result files.",
        discussion: """
        Overrides are Hydra's: key=value, method=NAME selects a method file, method.key=value sets one of its keys, +key=value adds a key, lists are written DATASETS=[MNIST,Cars], booleans in any case. `lines run --cfg` prints every key.

          lines run model=ViT-B-32 num_tasks=8 method=ties method.k=20 method.apply_lines=true data_location=~/data model_location=~/ckpt/model_checkpoints

        Methods: zeroshot; single_task (method.apply_lines, method.task_index, method.tradeoff_target_weight); sum; average; ties (method.k, method.agg); consensus (method.prun_thre_k, method.use_ties); tall_mask (method.use_ties, method.load_mask); mag_masking (method.k). method.apply_lines=true gives the LiNeS variant.

        Inputs: {model_location}/{model}/{X}Val/nonlinear_finetuned.pt (or .safetensors), θ0 from MNISTVal/nonlinear_zeroshot.pt, heads head_{X}Val.pt; TALL masks under model_location with model_checkpoints replaced by tall_masks. Normalising accuracies: results/single_task/{model}/nonlinear_ft_accuracies.json (and results/zero_shot/{model}_20tasks_zeroshot.json for single_task), computed once and written there when absent.

        Outputs: {results_location}/merging_multi_task/ or editing_single_task/, named as the reference names them, a CSV next to each, a copy under {logs_location}/{model}/{method}/{date}/{time}/.

        A killed run started again with the same overrides resumes from its journal ({logs_location}/.journal/) and writes the same results.

        Sweeps on a Slurm cluster: launcher=slurm (with launcher.partition, launcher.time, launcher.cpus_per_task, launcher.mem, launcher.gres, launcher.array_parallelism, launcher.extra=[--account=lab]) plans the run's units under {logs_location}/.sweep/, submits one job array of validation units (one coefficient each: its model built once, every task's validation split) and a selection + test job that starts after them, and prints the job ids. Each worker runs the same command with --unit N and journals into its own file; the results file is byte-identical to a local run. The command again shows nothing lost: it submits only the units neither done nor queued. --status shows every unit (done, running, pending, failed with its log, missing). logs_location must be on a filesystem every node mounts at the same path.

          lines run method=ties method.apply_lines=true launcher=slurm launcher.partition=cpu launcher.cpus_per_task=8 launcher.time=02:00:00
          lines run method=ties method.apply_lines=true --status

        Any other scheduler: lines run … --plan writes the plan and prints the units; run lines run … --unit N for each validation unit, then the last unit (selection + test) once they are done.
        """
    )

    @Argument(help: ArgumentHelp("Hydra-style overrides.", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customLong("cfg"), help: "Print the resolved configuration and exit (as Hydra's --cfg job).")
    var printConfig = false

    @Option(name: .customLong("config-dir"), help: "A Hydra config folder (config.yaml, method/*.yaml) to use instead of the built-in copy of the reference's.")
    var configDirectory: String?

    @Flag(help: "Check that every checkpoint, head, mask and dataset is there, print the plan, and exit.")
    var dryRun = false

    @Option(help: ArgumentHelp("Run one unit of a planned sweep (what each Slurm array task runs): 0…V-1 validate at one coefficient each, V selects and tests.", valueName: "N"))
    var unit: Int?

    @Flag(help: "Show where each unit of this run's sweep stands (done, running, pending, failed, missing) and exit.")
    var status = false

    @Flag(help: "Plan the sweep's units for a scheduler of your own: write the plan, print each unit and the command that runs it, and exit.")
    var plan = false

    func validate() throws {
        if [unit != nil, status, plan, dryRun, printConfig].filter({ $0 }).count > 1 {
            throw ValidationError("--unit, --status, --plan, --dry-run and --cfg are separate actions; give one.")
        }
    }

    func run() throws {
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        do {
            let loader = try configDirectory.map { try ConfigLoader(directory: URL(fileURLWithPath: $0)) } ?? ConfigLoader()
            var tree = try loader.compose(try overrides.map(ConfigOverride.init))
            // model_location=hf://OWNER/NAME[/PATH]: the cached snapshot, with the files of this model
            // (as the reference's README downloads them: allow_patterns="*{model}*").
            if !printConfig, !status, case let .string(location)? = tree.value(at: ["model_location"]), location.hasPrefix("hf://"),
               case let .string(model)? = tree.value(at: ["model"]) {
                let local = try HubArguments.local(location, include: [Glob("*\(model)*")])
                _ = tree.set(.string(local), at: ["model_location"])
            }
            if printConfig {
                print(tree.yaml(), terminator: "")
                return
            }
            let config = try ExperimentConfig(tree: tree)
            let runner = ExperimentRunner(config: config)
            let printer = RunEventPrinter()
            runner.onEvent = { printer.handle($0) }
            if status { return try printStatus(config) }
            if let unit { return try runUnit(unit, runner: runner, config: config) }
            if plan { return try planUnits(runner, config: config) }
            let plan = try runner.preflight()
            printError("\(config.method.rawValue)\(config.applyLines ? " + LiNeS" : "") on \(config.model), \(config.numTasks) tasks: \(config.datasets.map(\.rawValue).joined(separator: ", "))")
            printError("θ0: \(plan.zeroshot.path)")
            if dryRun {
                for t in config.datasets {
                    let d = plan.datasets[t]
                    printError("  \(t.rawValue): val \(d?.count(.val) ?? 0), test \(d?.count(.test) ?? 0) images; head \(plan.heads[t]?.lastPathComponent ?? "-"); fine-tuned \(plan.finetuned[t]?.path ?? "not needed")")
                }
                printError("Results would go to \(config.resultURL.path)")
                return
            }
            if case let .slurm(options) = config.launcher {
                return try submit(runner, options: options, config: config)
            }
            let outcome = try runner.run()
            print(RunTable.render(outcome, config: config))
        } catch let e as ExperimentError {
            throw CommandFailure(description: e.description)
        }
    }

    /// The one-sentence message of a run error.
    static func message(for error: any Error) -> String {
        if let e = error as? CommandFailure { return e.description }
        if let e = error as? ExperimentError { return e.description }
        return "\(error)"
    }
}
