import ArgumentParser
import Foundation
import Merging

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge fine-tuned checkpoints: Task Arithmetic, TIES, Consensus, mag-masking, optionally with LiNeS.",
        discussion: """
        Task vectors τ_t = θ_t − θ0 are merged into τ_MTL and the output is θ0 + λ·τ_MTL, or with \
        --lines θ0 + LiNeS(τ_MTL; α, β): block i of L is scaled by α + β·i/(L−1) and every key outside \
        the residual blocks by α, with α = ‖Σ_t τ_t‖₁ / (T·‖τ_MTL‖₁) unless given (exactly 1/T for sum).
        Every global quantity (TIES top-k, sign election, masks, norms) is over the whole model \
        flattened in sorted-key order, as in the reference. Inputs are streamed tensor by tensor; \
        memory does not grow with the number of tasks.

        Methods:
        \(Merge.methodList)

        Task names come from the reference layout (.../EuroSATVal/nonlinear_finetuned.pt → EuroSAT) or NAME=PATH.

        Speed: inputs are memory-mapped and read in place, .pt files (the reference's pickled modules \
        and state dicts) as safetensors. TIES reads them in a 1/64 sample and two full passes, on C \
        kernels chosen for the CPU at run time (AVX-512 or AVX2; LINES_MERGE_KERNELS=portable|avx2|avx512 \
        picks one, LINES_NO_AVX512=1 is portable; same bytes either way). The output is written front \
        to back with direct I/O where the file system allows it. LINES_MERGE_TIMING=1 prints the time \
        of every pass.

        Examples:
          lines merge --method ties --lines --beta 1.0 --pretrained zs.pt --finetuned ViT-B-32/*Val/nonlinear_finetuned.pt -o merged.safetensors
          lines merge --method consensus --masks TALL_mask_8task.npy --pretrained zs.pt --finetuned ... --coefficient 0.7 -o merged.safetensors
        """
    )

    @Option(help: "Merge method: \(MergeMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: MergeMethod

    @Option(help: "The pre-trained checkpoint θ0 (any format lines reads).")
    var pretrained: String

    @Option(parsing: .upToNextOption, help: "Fine-tuned checkpoints θ_t, as PATH or NAME=PATH.")
    var finetuned: [String]

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

    @Option(help: "Top-k scope: global (over the flattened model, the reference). per-tensor (mergekit's) is not implemented.")
    var trim: String = "global"

    @Option(name: .shortAndLong, help: "Output .safetensors file (a folder for mag-masking).")
    var output: String

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
        if finetuned.isEmpty { throw ValidationError("give at least one fine-tuned checkpoint with --finetuned") }
        for (flag, value) in [("--coefficient", coefficient), ("--k", k), ("--alpha", alpha), ("--beta", beta)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number; got \(value)") }
        }
        if trim != "global" {
            throw ValidationError("--trim \(trim) is not supported: only 'global' (the reference's top-k over the whole flattened model)")
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
        var options = MergeOptions(method: method)
        if let coefficient { options.coefficient = coefficient }
        if let k { options.k = k }
        if let agg { options.aggregation = agg }
        if let prunThreK { options.prunThreK = prunThreK }
        if !tallLambda.isEmpty { options.tallLambdas = tallLambda }
        if useTies { options.useTies = true }
        if lines, let beta { options.lines = (alpha: alpha, beta: beta) }
        options.layerPattern = layerPattern
        options.taskVectorOnly = taskVector
        return options
    }

    func run() throws {
        let tasks = finetuned.map(TaskCheckpoint.init(argument:))
        let inputs = try MergeInputs(pretrained: URL(fileURLWithPath: pretrained), finetuned: tasks)
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
}
