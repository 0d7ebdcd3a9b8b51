import CLIP
import Datasets
import Foundation
import Merging

/// The resolved configuration of one `lines run`, typed, with the reference's derived values
/// (`DATASETS`, `DATASETS_VAL`, `num_tasks`, expanded paths).
public struct ExperimentConfig: Sendable {
    /// The composed tree (what `--cfg` prints).
    public var tree: ConfigValue
    /// `model`: the folder name under `model_location` (ViT-B-32, ViT-B-16, ViT-L-14, or any).
    public var model: String
    /// `num_tasks`.
    public var numTasks: Int
    /// `DATASETS`: the tasks, in order.
    public var datasets: [TaskName]
    /// `specify_lambda` when set (the reference's string "None" means unset).
    public var specifyLambda: Double?
    /// `n_eval_points`.
    public var nEvalPoints: Int
    /// `batch_size`.
    public var batchSize: Int
    /// `data_location`, with `~` expanded.
    public var dataLocation: URL
    /// `model_location` as written (the TALL-mask path rule edits this string), `~` expanded.
    public var modelLocation: String
    /// `cache_dir`: where decoded splits are cached (default: `~/.cache/lines/decoded`).
    public var cacheDirectory: URL
    /// `activation`.
    public var activation: Activation
    /// `results_location`.
    public var resultsLocation: URL
    /// `logs_location`.
    public var logsLocation: URL
    /// `clip_checkpoint`: a CLIP checkpoint with its text tower, to build missing heads from.
    public var clipCheckpoint: URL?
    /// `bpe_path`: the tokenizer's merges file (default: `LINES_CLIP_BPE`, else next to
    /// `clip_checkpoint`, else the copy shipped with Lines).
    public var bpePath: URL?
    /// `method.name`.
    public var method: RunMethod
    /// `method.full_name` (interpolated, e.g. `ties_k=20`).
    public var fullName: String
    /// `method.k` (percent kept).
    public var k: Double
    /// `method.apply_lines` (false where the method's file has no such key).
    public var applyLines: Bool
    /// `method.agg`.
    public var aggregation: TIESAggregation
    /// `method.prun_thre_k`.
    public var prunThreK: Int
    /// `method.use_ties`.
    public var useTies: Bool
    /// `method.common_space_fraction` (Iso-CTS).
    public var commonSpaceFraction: Double
    /// `method.drop_rate` (DARE).
    public var dropRate: Double
    /// `method.density` (Breadcrumbs).
    public var density: Double
    /// `method.gamma` (Breadcrumbs).
    public var gamma: Double
    /// `method.seed` (DARE).
    public var seed: UInt64
    /// `method.ties_agg` (only in mask file names).
    public var tiesAgg: String
    /// `method.load_mask`.
    public var loadMask: Bool
    /// `method.tradeoff_target_weight`.
    public var tradeoffTargetWeight: Double
    /// `method.task_index`.
    public var taskIndex: Int
    /// `launcher`: where the evaluations run (`local`, or `slurm` with its `launcher.*` keys).
    public var launcher: Launcher

    /// Reads the typed values off a composed tree.
    /// - Throws: ``ExperimentError/badValue(key:value:expected:)`` naming the key.
    public init(tree: ConfigValue) throws {
        self.tree = tree
        func get(_ key: String) -> ConfigValue? { tree.value(at: key.split(separator: ".").map(String.init)) }
        func bad(_ key: String, _ expected: String) -> ExperimentError {
            ExperimentError.badValue(key: key, value: get(key)?.description ?? "missing", expected: expected)
        }
        func string(_ key: String) throws -> String {
            switch get(key) {
            case let .string(s)?: return s
            case let .int(i)?: return String(i)
            case let .double(d)?: return pythonRepr(d)
            default: throw bad(key, "a string")
            }
        }
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            switch get(key) {
            case let .int(i)?: return i
            case let .double(x)? where x == x.rounded() && abs(x) < 1e15: return Int(x)
            case nil: if let d { return d }; throw bad(key, "an integer")
            default: throw bad(key, "an integer")
            }
        }
        func double(_ key: String, default d: Double? = nil) throws -> Double {
            switch get(key) {
            case let .int(i)?: return Double(i)
            case let .double(x)?: return x
            case nil: if let d { return d }; throw bad(key, "a number")
            default: throw bad(key, "a number")
            }
        }
        func bool(_ key: String, default d: Bool) throws -> Bool {
            switch get(key) {
            case let .bool(b)?: return b
            case nil: return d
            case let .string(s)? where ["true", "false"].contains(s.lowercased()): return s.lowercased() == "true"
            default: throw bad(key, "true or false")
            }
        }
        func path(_ s: String) -> String { (s as NSString).expandingTildeInPath }

        model = try string("model")
        guard !model.isEmpty, !model.contains("/") else { throw bad("model", "a model folder name such as ViT-B-32") }
        let methodName = try string("method.name")
        guard let m = RunMethod(rawValue: methodName) else {
            throw ExperimentError.unknownMethod(methodName, known: RunMethod.allCases.map(\.rawValue))
        }
        method = m
        let dataURL = URL(fileURLWithPath: path(try string("data_location")))
        func task(_ name: String) -> TaskName? { try? TaskName.resolve(name, dataLocation: dataURL) }
        var count = try int("num_tasks")
        switch get("DATASETS") {
        case .string("")?, nil, .null?:
            guard (1...TaskName.allCases.count).contains(count) else { throw bad("num_tasks", "1 to \(TaskName.allCases.count)") }
            datasets = TaskName.first(count)
        case let .list(items)?:
            datasets = try items.map { item in
                guard case let .string(s) = item, let t = task(s) else {
                    throw ExperimentError.badValue(key: "DATASETS", value: item.description,
                                                   expected: "task names among \(TaskName.allCases.map(\.rawValue).joined(separator: ", ")), or a custom task folder with classes.txt in data_location")
                }
                return t
            }
            count = datasets.count
        case let .string(s)?:
            datasets = try s.split(separator: ",").map { name in
                guard let t = task(name.trimmingCharacters(in: .whitespaces)) else {
                    throw ExperimentError.badValue(key: "DATASETS", value: String(name), expected: "a task name")
                }
                return t
            }
            count = datasets.count
        default:
            throw bad("DATASETS", "'' or a list such as [MNIST,Cars]")
        }
        guard !datasets.isEmpty, Set(datasets).count == datasets.count else { throw bad("DATASETS", "distinct task names") }
        numTasks = count
        switch get("specify_lambda") {
        case .string("None")?, .null?, nil: specifyLambda = nil
        case let .int(i)?: specifyLambda = Double(i)
        case let .double(d)?: specifyLambda = d
        default: throw bad("specify_lambda", "None or a number")
        }
        nEvalPoints = try int("n_eval_points")
        guard nEvalPoints >= 2 else { throw bad("n_eval_points", "at least 2") }
        batchSize = try int("batch_size")
        guard batchSize > 0 else { throw bad("batch_size", "a positive integer") }
        dataLocation = dataURL
        modelLocation = path(try string("model_location"))
        if case let .string(s)? = get("cache_dir"), !s.isEmpty, s != "None" {
            cacheDirectory = URL(fileURLWithPath: path(s))
        } else {
            cacheDirectory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lines/decoded")
        }
        let act = try string("activation").lowercased().replacingOccurrences(of: "_", with: "")
        guard let a = Activation(rawValue: act) else { throw bad("activation", "quick_gelu or gelu") }
        activation = a
        resultsLocation = URL(fileURLWithPath: path(try string("results_location")))
        logsLocation = URL(fileURLWithPath: path(try string("logs_location")))
        func optionalPath(_ key: String) -> URL? {
            if case let .string(s)? = get(key), !s.isEmpty, s != "None" { return URL(fileURLWithPath: path(s)) }
            return nil
        }
        clipCheckpoint = optionalPath("clip_checkpoint")
        bpePath = optionalPath("bpe_path")
        fullName = try string("method.full_name")
        k = try double("method.k")
        guard k > 0, k <= 100 else { throw bad("method.k", "a percentage in (0, 100]") }
        applyLines = try bool("method.apply_lines", default: false)
        let agg = try get("method.agg") == nil ? "mean" : string("method.agg")
        guard let ag = TIESAggregation(rawValue: agg) else { throw bad("method.agg", "mean, sum or max") }
        aggregation = ag
        prunThreK = try int("method.prun_thre_k", default: 2)
        guard prunThreK >= 0 else { throw bad("method.prun_thre_k", "a count ≥ 0") }
        useTies = try bool("method.use_ties", default: false)
        commonSpaceFraction = try double("method.common_space_fraction", default: 0.8)
        dropRate = try double("method.drop_rate", default: 0.5)
        density = try double("method.density", default: 0.9)
        gamma = try double("method.gamma", default: 0.01)
        guard (0...1).contains(commonSpaceFraction) else { throw bad("method.common_space_fraction", "a fraction in [0, 1]") }
        guard dropRate >= 0, dropRate < 1 else { throw bad("method.drop_rate", "a probability in [0, 1)") }
        guard density > 0, density <= 1 else { throw bad("method.density", "a fraction in (0, 1]") }
        guard (0...1).contains(gamma), density + gamma <= 1 else { throw bad("method.gamma", "a fraction in [0, 1] with density + gamma ≤ 1") }
        let seedValue = try int("method.seed", default: 0)
        guard seedValue >= 0 else { throw bad("method.seed", "an integer ≥ 0") }
        seed = UInt64(seedValue)
        tiesAgg = try get("method.ties_agg") == nil ? "sum" : string("method.ties_agg")
        loadMask = try bool("method.load_mask", default: false)
        tradeoffTargetWeight = try double("method.tradeoff_target_weight", default: 2.0)
        taskIndex = try int("method.task_index", default: 0)
        launcher = try Launcher(tree: get("launcher"))
        if method == .singleTask {
            guard (0..<datasets.count).contains(taskIndex) else { throw bad("method.task_index", "an index into DATASETS (0..<\(datasets.count))") }
        }
        if applyLines && !method.supportsLiNeS {
            throw ExperimentError.unsupported("method.apply_lines=true is not defined for method=\(method.rawValue); LiNeS applies to \(RunMethod.allCases.filter(\.supportsLiNeS).map(\.rawValue).joined(separator: ", ")).")
        }
        // The reference's top-k filter before summing (method.k < 100 for these) is not implemented.
        if k != 100, method == .singleTask || method.mergeMethod.map({ !$0.info.takes(MergeParameter.k.name) }) == true {
            throw ExperimentError.unsupported("method.k=\(pythonRepr(k)) with method=\(method.rawValue) is not supported by lines (the reference's top-k filter before summing); use method=ties or mag_masking for top-k.")
        }
    }

    /// `DATASETS_VAL`: the task names with `Val`.
    public var validationNames: [String] { datasets.map { $0.rawValue + "Val" } }

    /// The target task of `single_task`.
    public var target: TaskName { datasets[taskIndex] }

    /// The run's name in result files: `{model}_{T}tasks_{full_name}_…` (spec §3.4).
    public var resultStem: String {
        let lines = applyLines ? "_lines" : "_"
        if method == .singleTask {
            return "\(model)_\(numTasks)tasks_\(fullName)_finetuned_on_\(taskIndex)task_\(maskSuffix)\(lines)"
        }
        return "\(model)_\(numTasks)tasks_\(fullName)_merged_\(maskSuffix)\(lines)"
    }

    /// The reference's `mask_suffix`.
    public var maskSuffix: String {
        switch method {
        case .tallMask: return useTies ? "tall_mask_ties" : "tall_mask_ta"
        case .magMasking: return "mag_mask"
        case .consensus: return "k_\(prunThreK)_\(useTies ? "ties" : "ta")"
        default: return ""
        }
    }

    /// The result file (spec §3.4).
    public var resultURL: URL {
        let folder = method == .singleTask ? "editing_single_task" : "merging_multi_task"
        return resultsLocation.appendingPathComponent(folder).appendingPathComponent(resultStem + ".json")
    }
}
