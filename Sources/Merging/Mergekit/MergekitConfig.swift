import Foundation
import Tensors
import Yams

/// A mergekit merge configuration (`merge.yml`), the subset Lines runs: `merge_method`,
/// `base_model`, `models[].model` / `.parameters`, `parameters`, `dtype`, `out_dtype`,
/// `tokenizer_source`, `slices` in the whole-model case (one slice whose sources each give
/// `layer_range: [0, N]`, N the model's depth, checked when the models are opened: the same
/// merge as `models`), and Lines's own `lines: {alpha, beta}`. Parameter values are numbers,
/// booleans, gradients (lists interpolated over the layers) or conditional lists
/// (`- filter: self_attn` / `value: …`), as mergekit evaluates them. Anything else (slices that
/// stack or cut layers, `modules`, `tokenizer`, LoRA `model+adapter` references, …) is refused by
/// name.
public struct MergekitConfig: Sendable {
    /// One parameter's setting, evaluated per tensor.
    public indirect enum Setting: Sendable, Equatable {
        case number(Double)
        /// Values spread evenly over the layers and interpolated (mergekit's gradient).
        case gradient([Double])
        /// The first entry whose filter is absent, `*` or a substring of the tensor's name.
        case conditional([Conditional])

        /// The value for `tensor` at relative depth `t` in [0, 1], or `nil` when no filter matches.
        public func value(tensor: String, t: Double) -> Double? {
            switch self {
            case .number(let v): return v
            case .gradient(let values):
                guard !values.isEmpty else { return nil }
                let scaled = t * Double(values.count - 1)
                let i0 = Int(scaled), i1 = min(values.count - 1, i0 + 1), frac = scaled - Double(i0)
                return (1 - frac) * values[i0] + frac * values[i1]
            case .conditional(let entries):
                for e in entries where e.filter == nil || e.filter == "*" || tensor.contains(e.filter ?? "") {
                    return e.value.value(tensor: tensor, t: t)
                }
                return nil
            }
        }
    }

    /// A `filter`/`value` entry.
    public struct Conditional: Sendable, Equatable {
        public var filter: String?
        public var value: Setting
    }

    /// One `models` entry.
    public struct Model: Sendable, Equatable {
        /// The model reference as written (a local path).
        public var model: String
        public var parameters: [String: Setting]
    }

    public var mergeMethod: String
    public var baseModel: String?
    public var models: [Model]
    public var parameters: [String: Setting]
    /// `dtype` (mergekit's compute dtype; Lines always computes in F32 and uses it as the output
    /// dtype when `out_dtype` is absent).
    public var dtype: DType?
    public var outDType: DType?
    public var tokenizerSource: String?
    /// `lines: {alpha, beta}`: LiNeS on the merged task vector (α absent: the norm ratio).
    public var lines: (alpha: Double?, beta: Double)?
    /// A `slices` source's `layer_range: [0, end]`, to be checked against the model's depth.
    public struct LayerRange: Sendable, Equatable {
        public var model: String
        public var end: Int
        /// Where it was written, e.g. `slices[0].sources[1].layer_range`.
        public var path: String
    }
    /// The layer ranges of a `slices` config (empty for `models`).
    public var layerRanges: [LayerRange] = []
    /// The YAML as given (copied into the output folder and its model card).
    public var text: String

    /// The top-level keys Lines reads.
    public static let supportedKeys: Set<String> = ["merge_method", "base_model", "models", "slices", "parameters", "dtype", "out_dtype", "tokenizer_source", "lines"]

    /// Parses `text` (from `file`, named in errors).
    /// - Throws: ``MergeError/badConfig(file:reason:)`` naming the key.
    public init(yaml text: String, file: String) throws(MergeError) {
        func fail(_ reason: String) -> MergeError { .badConfig(file: file, reason: reason) }
        let root: Any?
        do { root = try SafeYAML.load(text) } catch { throw fail("\(error)") }
        guard let top = root as? [String: Any] else { throw fail("the document is not a mapping of keys (merge_method, models, …)") }
        for key in top.keys.sorted() where !Self.supportedKeys.contains(key) {
            switch key {
            case "modules": throw fail("'modules' (per-module slicing, frankenmerges) is not supported; give models: with whole models")
            case "tokenizer", "chat_template": throw fail("'\(key)' (building a merged tokenizer) is not supported; use tokenizer_source: base or a model's folder")
            default: throw fail("'\(key)' is not a key Lines reads (it reads \(Self.supportedKeys.sorted().joined(separator: ", ")))")
            }
        }
        guard let method = top["merge_method"] as? String else { throw fail("'merge_method' is missing (one of \(TensorMergeRegistry.names.joined(separator: ", ")))") }
        mergeMethod = method
        if let b = top["base_model"] {
            guard let s = b as? String else { throw fail("'base_model' must be a model path") }
            baseModel = s
        }
        models = []
        parameters = try Self.settings(top["parameters"], at: "parameters", file: file)
        if let slices = top["slices"] {
            guard top["models"] == nil else { throw fail("give either 'models' or 'slices', not both") }
            guard let list = slices as? [Any], !list.isEmpty else { throw fail("'slices' must be a non-empty list of {sources: [{model, layer_range}, …]}") }
            guard list.count == 1 else {
                throw fail("'slices' holds \(list.count) slices: stacking or cutting layers (frankenmerges) is not supported; one slice whose sources each cover every layer (layer_range: [0, N]) is")
            }
            guard let slice = list[0] as? [String: Any], let sources = slice["sources"] as? [Any], !sources.isEmpty else {
                throw fail("slices[0] must be a mapping with a non-empty 'sources' list")
            }
            for key in slice.keys.sorted() where !["sources", "parameters", "base_model"].contains(key) {
                throw fail("slices[0].\(key) is not a key Lines reads (sources, parameters, base_model)")
            }
            if let b = slice["base_model"] {
                guard let s = b as? String else { throw fail("slices[0].base_model must be a model path") }
                if let top = baseModel, top != s { throw fail("slices[0].base_model '\(s)' differs from base_model '\(top)'") }
                baseModel = s
            }
            // The slice's parameters override the top-level ones, as mergekit resolves them.
            for (key, value) in try Self.settings(slice["parameters"], at: "slices[0].parameters", file: file) { parameters[key] = value }
            for (i, entry) in sources.enumerated() {
                let at = "slices[0].sources[\(i)]"
                guard let m = entry as? [String: Any], let path = m["model"] as? String else { throw fail("\(at) must be a mapping with 'model: PATH'") }
                for key in m.keys.sorted() where !["model", "layer_range", "parameters"].contains(key) {
                    throw fail("\(at).\(key) is not a key Lines reads (model, layer_range, parameters)")
                }
                guard let range = m["layer_range"] as? [Any], range.count == 2, let start = range[0] as? Int, let end = range[1] as? Int else {
                    throw fail("\(at).layer_range must be [0, N], N the model's number of layers")
                }
                guard start == 0, end > 0 else {
                    throw fail("\(at).layer_range is [\(start), \(end)]: only whole models are merged (layer_range: [0, N], N the model's number of layers)")
                }
                models.append(Model(model: path, parameters: try Self.settings(m["parameters"], at: "\(at).parameters", file: file)))
                layerRanges.append(LayerRange(model: path, end: end, path: "\(at).layer_range"))
            }
        } else {
            guard let list = top["models"] as? [Any], !list.isEmpty else { throw fail("'models' must be a non-empty list of {model: PATH, parameters: …}") }
            for (i, entry) in list.enumerated() {
                guard let m = entry as? [String: Any], let path = m["model"] as? String else {
                    throw fail("models[\(i)] must be a mapping with 'model: PATH'")
                }
                for key in m.keys.sorted() where key != "model" && key != "parameters" {
                    throw fail("models[\(i)].\(key) is not a key Lines reads (model, parameters)")
                }
                models.append(Model(model: path, parameters: try Self.settings(m["parameters"], at: "models[\(i)].parameters", file: file)))
            }
        }
        func dtypeValue(_ key: String) throws(MergeError) -> DType? {
            guard let v = top[key] else { return nil }
            guard let s = v as? String, let d = DType(userName: s), [.f32, .f16, .bf16, .f64].contains(d) else {
                throw fail("'\(key)' must be a floating-point dtype (float32, bfloat16, float16); got \(v)")
            }
            return d
        }
        dtype = try dtypeValue("dtype")
        outDType = try dtypeValue("out_dtype")
        if let t = top["tokenizer_source"] {
            guard let s = t as? String else { throw fail("'tokenizer_source' must be base or a model path") }
            tokenizerSource = s
        }
        if let l = top["lines"] {
            guard let m = l as? [String: Any] else { throw fail("'lines' must be a mapping {alpha: …, beta: …}") }
            for key in m.keys.sorted() where key != "alpha" && key != "beta" { throw fail("lines.\(key) is not a LiNeS parameter (alpha, beta)") }
            guard let beta = Self.number(m["beta"]) else { throw fail("lines.beta is required (the last block gets α + β)") }
            let alpha = Self.number(m["alpha"])
            if m["alpha"] != nil && alpha == nil { throw fail("lines.alpha must be a number") }
            lines = (alpha, beta)
        }
        self.text = text
    }

    static func number(_ v: Any?) -> Double? {
        switch v {
        case let b as Bool: return b ? 1 : 0
        case let i as Int: return Double(i)
        case let d as Double: return d
        default: return nil
        }
    }

    static func settings(_ value: Any?, at path: String, file: String) throws(MergeError) -> [String: Setting] {
        guard let value else { return [:] }
        guard let map = value as? [String: Any] else { throw .badConfig(file: file, reason: "\(path) must be a mapping of parameter names to values") }
        var out: [String: Setting] = [:]
        for (key, v) in map { out[key] = try setting(v, at: "\(path).\(key)", file: file) }
        return out
    }

    static func setting(_ v: Any, at path: String, file: String) throws(MergeError) -> Setting {
        if let n = number(v) { return .number(n) }
        if let list = v as? [Any] {
            let numbers = list.compactMap { number($0) }
            if numbers.count == list.count, !list.isEmpty { return .gradient(numbers) }
            var entries: [Conditional] = []
            for (i, e) in list.enumerated() {
                guard let m = e as? [String: Any], let raw = m["value"] else {
                    throw .badConfig(file: file, reason: "\(path)[\(i)] must be a number (a gradient) or {filter: NAME, value: …}")
                }
                guard m["filter"] == nil || m["filter"] is String else { throw .badConfig(file: file, reason: "\(path)[\(i)].filter must be a string") }
                entries.append(Conditional(filter: m["filter"] as? String, value: try setting(raw, at: "\(path)[\(i)].value", file: file)))
            }
            return .conditional(entries)
        }
        if let m = v as? [String: Any], let raw = m["value"] {
            return .conditional([Conditional(filter: m["filter"] as? String, value: try setting(raw, at: "\(path).value", file: file))])
        }
        throw .badConfig(file: file, reason: "\(path) must be a number, a boolean, a list of numbers or a list of {filter, value}; got \(v)")
    }
}
