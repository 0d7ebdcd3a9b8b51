import Datasets
import Foundation

/// Where the reference keeps checkpoints, heads and masks under `model_location` (spec §4.4);
/// for each file a safetensors file with the same stem is taken too (`.pt` first).
public struct ReferenceLayout: Sendable {
    /// `model_location`, as configured (the mask path rule edits this string).
    public var modelLocation: String
    /// `model`.
    public var model: String

    public init(modelLocation: String, model: String) {
        self.modelLocation = modelLocation
        self.model = model
    }

    /// `{model_location}/{model}`.
    public var modelFolder: URL { URL(fileURLWithPath: modelLocation).appendingPathComponent(model) }

    /// The files a checkpoint is written as: the reference's `torch.save` archive or safetensors.
    public enum FileFormat: String, Sendable, CaseIterable {
        case pt, safetensors
    }

    /// `{model_location}/{model}/{X}Val`, where a task's fine-tuning writes its encoders.
    public func taskFolder(_ task: TaskName) -> URL {
        modelFolder.appendingPathComponent("\(task.rawValue)Val")
    }

    /// `{X}Val/nonlinear_finetuned.{pt|safetensors}`: the fine-tuned encoder θ_t.
    public func finetunedURL(_ task: TaskName, format: FileFormat) -> URL {
        taskFolder(task).appendingPathComponent("nonlinear_finetuned").appendingPathExtension(format.rawValue)
    }

    /// `{X}Val/nonlinear_zeroshot.{pt|safetensors}`: θ0 as the task's fine-tuning saved it.
    public func zeroshotURL(_ task: TaskName, format: FileFormat) -> URL {
        taskFolder(task).appendingPathComponent("nonlinear_zeroshot").appendingPathExtension(format.rawValue)
    }

    /// `{X}Val/finetune_state.safetensors`: weights, optimiser moments and step of an interrupted
    /// fine-tuning (ours; the reference keeps none).
    public func finetuneStateURL(_ task: TaskName) -> URL {
        taskFolder(task).appendingPathComponent("finetune_state.safetensors")
    }

    /// `{model_location}/{model}/head_{X}Val.{pt|safetensors}`: the task's frozen zero-shot head.
    public func headURL(_ task: TaskName, format: FileFormat) -> URL {
        modelFolder.appendingPathComponent("head_\(task.rawValue)Val").appendingPathExtension(format.rawValue)
    }

    /// Candidates for `{model_location}/{model}/{X}Val/nonlinear_finetuned.{pt,safetensors}`.
    public func finetunedCandidates(_ task: TaskName) -> [URL] {
        FileFormat.allCases.map { finetunedURL(task, format: $0) }
    }

    /// Candidates for the zero-shot model: `MNISTVal/nonlinear_zeroshot.*` (what the reference
    /// always reads).
    public var zeroshotCandidates: [URL] {
        zeroshotCandidates(.mnist)
    }

    /// Candidates for `{model_location}/{model}/{X}Val/nonlinear_zeroshot.*` of another task, which
    /// hold the same θ0 (each fine-tune writes it); used when `MNISTVal` has none.
    public func zeroshotCandidates(_ task: TaskName) -> [URL] {
        FileFormat.allCases.map { zeroshotURL(task, format: $0) }
    }

    /// Candidates for `{model_location}/{model}/head_{X}Val.*`.
    public func headCandidates(_ task: TaskName) -> [URL] {
        FileFormat.allCases.map { headURL(task, format: $0) }
    }

    /// The folder of TALL masks: `model_location` with `model_checkpoints` replaced by
    /// `tall_masks` (the LiNeS rule), then `/{model}`.
    public var maskFolder: URL {
        URL(fileURLWithPath: modelLocation.replacingOccurrences(of: "model_checkpoints", with: "tall_masks"))
            .appendingPathComponent(model)
    }

    /// Where `tall_mask` saves its masks: `TALL_mask_{T}task.npy`, or with TIES
    /// `TALL_mask_{T}task_use_ties_{ties_agg}.npy`.
    public func maskSaveURL(taskCount: Int, useTies: Bool, tiesAgg: String) -> URL {
        maskFolder.appendingPathComponent(useTies ? "TALL_mask_\(taskCount)task_use_ties_\(tiesAgg).npy" : "TALL_mask_\(taskCount)task.npy")
    }

    /// Where `consensus` (and `tall_mask` with `load_mask`) looks for masks. With TIES the
    /// reference loads `…_use_ties.npy` but saves `…_use_ties_{ties_agg}.npy` (spec §7.2 #2); both
    /// are tried, the saved name first.
    public func maskCandidates(taskCount: Int, useTies: Bool, tiesAgg: String) -> [URL] {
        guard useTies else { return [maskSaveURL(taskCount: taskCount, useTies: false, tiesAgg: tiesAgg)] }
        return [maskSaveURL(taskCount: taskCount, useTies: true, tiesAgg: tiesAgg),
                maskFolder.appendingPathComponent("TALL_mask_\(taskCount)task_use_ties.npy")]
    }

    /// The first existing file among `candidates`.
    public static func existing(_ candidates: [URL]) -> URL? {
        candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}
