import Tensors
import ArgumentParser
import Checkpoints
import Foundation
import Merging

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge fine-tuned checkpoints: Task Arithmetic, TIES, Consensus, mag-masking, TSV-M, Iso-C/CTS, DARE, Breadcrumbs, each optionally with LiNeS.",
        discussion: """
        Task vectors τ_t = θ_t − θ0 are merged into τ_MTL and the output is θ0 + λ·τ_MTL, or with \
        --lines θ0 + LiNeS(τ_MTL; α, β): block i of L is scaled by α + β·i/(L−1) and every key outside \
        the residual blocks by α, with α = ‖Σ_t τ_t‖₁ / (T·‖τ_MTL‖₁) unless given (exactly 1/T for sum).
        Every global quantity (TIES top-k, sign election, masks, norms) is over the whole model \
        flattened in sorted-key order, as in the reference. Inputs are streamed tensor by tensor; \
        memory does not grow with the number of tasks.

        Methods:
        \(Merge.methodList)

        The SVD methods (tsv, iso-c, iso-cts) follow their authors' code: every 2-D tensor except \
        text_projection is merged in its singular subspaces (in Double, on LAPACK, one tensor per \
        core), the others averaged; `lines run` tunes their λ over linspace(0, 3, 31)[1:]. dare and \
        breadcrumbs thin each τ_t before summing (dare reproducibly from --seed).

        Task names come from the reference layout (.../EuroSATVal/nonlinear_finetuned.pt → EuroSAT) or NAME=PATH.

        Speed: inputs are memory-mapped and read in place, .pt files (the reference's pickled modules \
        and state dicts) as safetensors. TIES reads them in a 1/64 sample and two full passes, on C \
        kernels chosen for the CPU at run time (AVX-512 or AVX2; LINES_MERGE_KERNELS=portable|avx2|avx512 \
        picks one, LINES_NO_AVX512=1 is portable; same bytes either way). The output is written front \
        to back with direct I/O where the file system allows it. LINES_MERGE_TIMING=1 prints the time \
        of every pass.

        mergekit configurations: --config merge.yml runs mergekit's format tensor by tensor, as \
        mergekit does (\(TensorMergeRegistry.names.joined(separator: ", "))), with its parameter \
        names and defaults, gradients and filters; a top-level `lines: {alpha: A, beta: B}` applies \
        LiNeS to the merged task vector (α absent: the norm ratio). An OUTPUT ending in .safetensors \
        is one file; anything else is a Hugging Face model folder (shards, config.json with the new \
        dtype, the base's tokenizer files, a model card). Random methods (dare_*, della*) are \
        reproducible from --seed. --method ties --trim per-tensor is mergekit's TIES (density = k/100, \
        weight 1, normalize with --agg mean) on the command line.

        Examples:
          lines merge --config merge.yml -o merged-model
          lines merge --method ties --lines --beta 1.0 --pretrained zs.pt --finetuned ViT-B-32/*Val/nonlinear_finetuned.pt -o merged.safetensors
          lines merge --method consensus --masks TALL_mask_8task.npy --pretrained zs.pt --finetuned ... --coefficient 0.7 -o merged.safetensors
        """
    )

    @Option(help: ArgumentHelp("A mergekit merge configuration (YAML) to run instead of --method/--pretrained/--finetuned.", valueName: "merge.yml"))
    var config: String?

    @Option(help: "Merge method: \(MergeMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: MergeMethod?

    @Option(help: "The pre-trained checkpoint θ0 (any format lines reads).")
    var pretrained: String?

    @Option(parsing: .upToNextOption, help: "Fine-tuned checkpoints θ_t, as PATH or NAME=PATH.")
    var finetuned: [String] = []

    @Option(parsing: .unconditional, help: "Outer coefficient λ (default 1; with --lines the reference uses 1; negative values negate the task vector).")
    var coefficient: Double?

    @Option(help: "Percentage of largest |τ_t| kept per task, in (0, 100] (default: 20 for ties, 10 for mag-masking).")
    var k: Double?

    @Option(help: "TIES disjoint aggregation: mean, sum, max (default: mean).")
    var agg: TIESAggregation?

    @Option(help: "Consensus: TALL mask file (.npy from the reference or lines masks, or .safetensors).")
    var masks: String?

    @Option(name: .customLong("prun-thre-k"), help: "Consensus: keep parameters on in at least this many task masks (default: 2).")
    var prunThreK: Int?

    @Option(name: .customLong("tall-lambda"), parsing: .upToNextOption, help: "Consensus without --masks: TALL λ, one value or one per task (default: 0.4).")
    var tallLambda: [Double] = []

    @Flag(name: .customLong("use-ties"), help: "Consensus: TIES (k = 20, disjoint sum) instead of Σ τ_t as the base.")
    var useTies = false

    @Option(name: .customLong("common-space-fraction"), parsing: .unconditional, help: "iso-cts: share of each matrix's rank given to the common subspace, in [0, 1] (default: 0.8, the authors').")
    var commonSpaceFraction: Double?

    @Option(name: .customLong("drop-rate"), parsing: .unconditional, help: "dare: probability of dropping each entry of τ_t, in [0, 1); the rest are scaled by 1/(1−p) (default: 0.5).")
    var dropRate: Double?

    @Option(parsing: .unconditional, help: "breadcrumbs: share of |τ_t| kept per tensor, in (0, 1] (default: 0.9, mergekit's density).")
    var density: Double?

    @Option(parsing: .unconditional, help: "breadcrumbs: share of the largest |τ_t| dropped per tensor, in [0, 1] (default: 0.01).")
    var gamma: Double?

    @Flag(help: "Apply LiNeS to τ_MTL (needs --beta).")
    var lines = false

    @Option(parsing: .unconditional, help: "LiNeS α (default: the norm ratio ‖Σ τ_t‖₁ / (T·‖τ_MTL‖₁)).")
    var alpha: Double?

    @Option(parsing: .unconditional, help: "LiNeS β: the last block gets α + β.")
    var beta: Double?

    @Flag(name: .customLong("task-vector"), help: "Write only the scaled merged task vector, not θ0 + it.")
    var taskVector = false

    @Option(name: .customLong("layer-pattern"), help: "Regular expression with one capture group for the block index (default: detected).")
    var layerPattern: String?

    @Option(help: "Top-k scope of ties: global (over the flattened model, the reference) or per-tensor (mergekit's TIES, density k/100).")
    var trim: String = "global"

    @Option(help: "Seed of the random methods: dare, and dare_*, della* of --config (default 0).")
    var seed: UInt64?

    @Option(help: "With --config: tensors only some models have: strict (an error, as mergekit), intersection (left out), union (a model without one uses the base's values there).")
    var tensors: String?

    @Option(help: "With --config and a folder output: largest shard (5GB, 500MB, …; default 5GB).")
    var maxShardSize: String?

    @Option(name: .shortAndLong, help: "Output .safetensors file (a folder for mag-masking, or a model folder with --config).")
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    /// One line per registered method: its name, what it computes, its parameters.
    static var methodList: String {
        let width = MergeMethod.allCases.map(\.rawValue.count).max() ?? 0
        return MergeMethod.allCases.map { m in
            let info = m.info
            let pad = String(repeating: " ", count: width - m.rawValue.count)
            var line = "  \(m.rawValue)\(pad)  \(info.summary)"
            if !info.linesApplies { line += " (no LiNeS)" }
            return line
        }.joined(separator: "\n")
    }

    func validate() throws {
        if let maxShardSize, ByteSize.parse(maxShardSize) == nil {
            throw ValidationError("--max-shard-size '\(maxShardSize)' is not a size like 5GB, 500MB or 1000000")
        }
        if let tensors, MergekitMerger.TensorSet(rawValue: tensors) == nil {
            throw ValidationError("--tensors \(tensors) is not one of strict, intersection, union")
        }
        if config != nil {
            let flags = [("--method", method != nil), ("--pretrained", pretrained != nil), ("--finetuned", !finetuned.isEmpty),
                         ("--coefficient", coefficient != nil), ("--k", k != nil), ("--agg", agg != nil), ("--masks", masks != nil),
                         ("--lines", lines), ("--alpha", alpha != nil), ("--beta", beta != nil), ("--task-vector", taskVector),
                         ("--common-space-fraction", commonSpaceFraction != nil), ("--drop-rate", dropRate != nil), ("--density", density != nil), ("--gamma", gamma != nil)]
            if let given = flags.first(where: { $0.1 }) {
                throw ValidationError("\(given.0) does not go with --config: the configuration says how to merge (LiNeS: a top-level lines: {alpha, beta})")
            }
            return
        }
        if trim != "per-tensor" {
            if seed != nil, method != .dare { throw ValidationError("--seed goes with --method dare or --config (its random methods dare_*, della*); \(method?.rawValue ?? "this method") draws no random numbers") }
            if maxShardSize != nil { throw ValidationError("--max-shard-size goes with --config or --trim per-tensor; the reference's methods write one .safetensors file") }
            if tensors != nil { throw ValidationError("--tensors goes with --config or --trim per-tensor; the reference's methods need the same tensors in every checkpoint") }
        }
        guard let method else { throw ValidationError("give --method (one of \(MergeMethod.allCases.map(\.rawValue).joined(separator: ", "))) or --config merge.yml") }
        if pretrained == nil { throw ValidationError("give the pre-trained checkpoint with --pretrained") }
        if finetuned.isEmpty { throw ValidationError("give at least one fine-tuned checkpoint with --finetuned") }
        for (flag, value) in [("--coefficient", coefficient), ("--k", k), ("--alpha", alpha), ("--beta", beta),
                              ("--common-space-fraction", commonSpaceFraction), ("--drop-rate", dropRate), ("--density", density), ("--gamma", gamma)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number; got \(value)") }
        }
        switch trim {
        case "global": break
        case "per-tensor":
            guard method == .ties else { throw ValidationError("--trim per-tensor applies to ties only (mergekit's per-tensor TIES), not \(method.rawValue)") }
            if agg == .max { throw ValidationError("--trim per-tensor merges as mergekit does: --agg mean (normalize) or sum, not max") }
            if taskVector { throw ValidationError("--task-vector does not go with --trim per-tensor") }
        default:
            throw ValidationError("--trim \(trim) is not a scope: global (the reference's top-k over the whole flattened model) or per-tensor (mergekit's)")
        }
        if let k, !(k > 0 && k <= 100) { throw ValidationError("--k must be a percentage in (0, 100]; got \(k)") }
        if lines, beta == nil { throw ValidationError("--lines needs --beta (the reference tunes it on {0.1, …, 1.0})") }
        if !lines, alpha != nil || beta != nil { throw ValidationError("--alpha and --beta need --lines") }
        // Everything else is the method's (its unit in the registry), checked as the library checks it.
        do {
            try options().validate(taskCount: nil, alsoGiven: masks == nil ? [] : [MergeParameter.masks.name])
        } catch let error as MergeError {
            throw ValidationError(error.description)
        }
    }

    /// The merge options the flags give (mask files are read in ``run()``).
    func options() -> MergeOptions {
        var options = MergeOptions(method: method ?? .sum)
        if let coefficient { options.coefficient = coefficient }
        if let k { options.k = k }
        if let agg { options.aggregation = agg }
        if let prunThreK { options.prunThreK = prunThreK }
        if !tallLambda.isEmpty { options.tallLambdas = tallLambda }
        if useTies { options.useTies = true }
        if let commonSpaceFraction { options.commonSpaceFraction = commonSpaceFraction }
        if let dropRate { options.dropRate = dropRate }
        if let density { options.density = density }
        if let gamma { options.gamma = gamma }
        if let seed, method == .dare { options.seed = seed }
        if lines, let beta { options.lines = (alpha: alpha, beta: beta) }
        options.layerPattern = layerPattern
        options.taskVectorOnly = taskVector
        return options
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "-o")
        // The SVD methods run on OpenBLAS/LAPACK: its fast kernels where it misdetects the CPU.
        OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
        if let config { return try runConfig(file: config) }
        if trim == "per-tensor" { return try runConfig(file: nil) }
        // hf://OWNER/NAME/PATH arguments: the cached copy (downloaded if missing).
        let tasks = try finetuned.map { TaskCheckpoint(argument: try HubArguments.local($0)) }
        let inputs = try MergeInputs(pretrained: URL(fileURLWithPath: try HubArguments.local(pretrained ?? "")), finetuned: tasks)
        var options = options()
        if let masks {
            let url = URL(fileURLWithPath: masks)
            options.masks = try TallMasks.read(url, parameters: inputs.parameterCount)
                .aligned(to: inputs.taskNames, parameters: inputs.parameterCount, file: url.path)
        }
        let progress = PassProgress()
        let report = try Merger.merge(inputs, options: options, to: URL(fileURLWithPath: output), progress: progress.callback)
        print(report.summary)
    }

    /// `--config FILE`, or (`file == nil`) the mergekit TIES that `--method ties --trim per-tensor` means.
    func runConfig(file: String?) throws {
        let parsed: MergekitConfig
        var mergeOptions = MergekitMerger.Options()
        if let file {
            let url = URL(fileURLWithPath: file)
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw ValidationError("--config \(file): cannot be read (\(error.localizedDescription))")
            }
            parsed = try MergekitConfig(yaml: text, file: file)
            mergeOptions.configFolder = url.deletingLastPathComponent()
        } else {
            parsed = try MergekitConfig(yaml: perTensorTIESConfig(), file: "--method ties --trim per-tensor")
        }
        mergeOptions.seed = seed ?? 0
        mergeOptions.layerPattern = layerPattern
        mergeOptions.maxShardSize = maxShardSize.flatMap(ByteSize.parse)
        mergeOptions.tensors = tensors.flatMap(MergekitMerger.TensorSet.init(rawValue:)) ?? .strict
        let bar = ProgressBar("merge", total: 1, unit: "tensors")
        let report = try MergekitMerger.merge(parsed, file: file ?? "--method ties", options: mergeOptions,
                                              to: URL(fileURLWithPath: output)) { done, total in
            bar.total = total
            bar.update(done)
        }
        print(report.summary)
    }

    /// mergekit's TIES config for the flags: density k/100, weight 1, normalize for --agg mean, λ.
    func perTensorTIESConfig() -> String {
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let density = (k ?? 20) / 100
        var y = "merge_method: ties\nbase_model: \(q(pretrained ?? ""))\nmodels:\n"
        for f in finetuned {
            let path = TaskCheckpoint(argument: f).url.path
            y += "  - model: \(q(path))\n    parameters: {weight: 1, density: \(density)}\n"
        }
        y += "parameters:\n  normalize: \((agg ?? .mean) == .mean)\n  lambda: \(coefficient ?? 1)\n"
        if lines, let beta { y += "lines: {\(alpha.map { "alpha: \($0), " } ?? "")beta: \(beta)}\n" }
        return y
    }
}
