import ArgumentParser
import Checkpoints
import Foundation
import Merging

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Single-task LiNeS: write θ0 + LiNeS(τ) to keep the task and reduce forgetting.",
        discussion: """
        τ = θ_ft − θ0 is scaled per residual block: block i of L gets α + β·i/(L−1), every key \
        outside the blocks (embeddings, final norm, projection) gets α. With --gamma G, α = G and \
        β = 1 − G, so the last block keeps the full update (paper §3.1; the reference's grid is \
        G ∈ {1.0, 0.9, …, 0.0}). The output is θ0 + C·LiNeS(τ), C = --coefficient (default 1).

        Examples:
          lines edit --pretrained zs.pt --finetuned EuroSATVal/nonlinear_finetuned.pt --gamma 0.1 -o edited.safetensors
          lines edit --pretrained llama --finetuned llama-sft --alpha 0.5 --beta 0.5 -o out/
        """
    )

    @Option(help: "The pre-trained checkpoint θ0.")
    var pretrained: String

    @Option(help: "The fine-tuned checkpoint θ_ft.")
    var finetuned: String

    @Option(parsing: .unconditional, help: "γ: α = γ, β = 1 − γ.")
    var gamma: Double?

    @Option(parsing: .unconditional, help: "LiNeS α (with --beta, instead of --gamma).")
    var alpha: Double?

    @Option(parsing: .unconditional, help: "LiNeS β (with --alpha, instead of --gamma).")
    var beta: Double?

    @Option(parsing: .unconditional, help: "Outer coefficient C (default: 1; negative values negate the task vector).")
    var coefficient: Double = 1

    @Option(name: .customLong("layer-pattern"), help: "Regular expression with one capture group for the block index (default: detected).")
    var layerPattern: String?

    @Flag(name: .customLong("task-vector"), help: "Write only C·LiNeS(τ), not θ0 + it.")
    var taskVector = false

    @Option(name: .shortAndLong, help: "Output .safetensors file (or a folder for shards).")
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    func validate() throws {
        switch (gamma, alpha, beta) {
        case (.some, nil, nil), (nil, .some, .some): break
        default: throw ValidationError("give either --gamma G, or both --alpha A and --beta B")
        }
        for (flag, value) in [("--gamma", gamma), ("--alpha", alpha), ("--beta", beta), ("--coefficient", coefficient)] {
            if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number; got \(value)") }
        }
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "-o")
        let inputs = try MergeInputs(pretrained: URL(fileURLWithPath: pretrained), finetuned: [TaskCheckpoint(argument: finetuned)])
        let ab = gamma.map { (alpha: $0, beta: 1 - $0) } ?? (alpha: alpha ?? 1, beta: beta ?? 0)
        let progress = PassProgress()
        let report = try Merger.edit(inputs, schedule: ab, coefficient: coefficient, layerPattern: layerPattern,
                                     taskVectorOnly: taskVector, to: URL(fileURLWithPath: output), progress: progress.callback)
        print(report.summary)
    }
}
