import ArgumentParser
import Checkpoints
import Foundation
import Merging

struct Masks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build TALL masks m_t = 1[|τ_t| > λ_t·|τ_MTL − τ_t|] for Consensus merging.",
        discussion: """
        τ_MTL = Σ τ_t, or with --use-ties TIES (k = 20, disjoint sum), as tallmask_utils.py. Masks \
        are np.packbits of the flattened model (sorted keys, big-endian bit order), one per task, \
        written as the reference's .npy dict or as safetensors (one U8 tensor per task) by extension.

        Examples:
          lines masks --pretrained zs.pt --finetuned ViT-B-32/*Val/nonlinear_finetuned.pt --tall-lambda 0.4 -o TALL_mask_8task.npy
          lines masks --pretrained zs.pt --finetuned A=a.pt B=b.pt --tall-lambda 0.3 0.5 -o masks.safetensors
        """
    )

    @Option(help: "The pre-trained checkpoint θ0.")
    var pretrained: String

    @Option(parsing: .upToNextOption, help: "Fine-tuned checkpoints θ_t, as PATH or NAME=PATH.")
    var finetuned: [String]

    @Option(name: .customLong("tall-lambda"), parsing: .upToNextOption, help: "TALL λ: one value, or one per task (the reference's grid: 0.2–0.6).")
    var tallLambda: [Double] = [0.4]

    @Flag(name: .customLong("use-ties"), help: "Use TIES (k = 20, disjoint sum) as τ_MTL.")
    var useTies = false

    @Option(name: .shortAndLong, help: "Output mask file: .npy or .safetensors.")
    var output: String

    @Flag(help: "Replace an existing output file even when it is not a checkpoint (a report, an image, a link); without it such a file is refused.")
    var force = false

    func validate() throws {
        if finetuned.isEmpty { throw ValidationError("give at least one fine-tuned checkpoint with --finetuned") }
        if tallLambda.count != 1, tallLambda.count != finetuned.count {
            throw ValidationError("--tall-lambda takes one value or one per task: got \(tallLambda.count) for \(finetuned.count) tasks")
        }
        if let bad = tallLambda.first(where: { !$0.isFinite }) { throw ValidationError("--tall-lambda must be finite numbers; got \(bad)") }
        let ext = (output as NSString).pathExtension.lowercased()
        guard ext == "npy" || ext == "safetensors" else {
            throw ValidationError("-o \(output): a mask file is written as .npy (the reference's np.save) or .safetensors; name it with one of those extensions")
        }
    }

    func run() throws {
        try OutputSafety.checkReplaceable(file: URL(fileURLWithPath: output), force: force, flag: "-o")
        let inputs = try MergeInputs(pretrained: URL(fileURLWithPath: pretrained), finetuned: finetuned.map(TaskCheckpoint.init(argument:)))
        try OutputSafety.check(output: URL(fileURLWithPath: output), inputs: [inputs.pretrained.url] + inputs.finetuned.map(\.url))
        let progress = PassProgress()
        var (masks, report) = try Merger.tallMasks(inputs, lambdas: tallLambda, useTies: useTies, progress: progress.callback)
        let url = URL(fileURLWithPath: output)
        try masks.write(to: url)
        report.outputs = [url]
        print(report.summary)
    }
}
