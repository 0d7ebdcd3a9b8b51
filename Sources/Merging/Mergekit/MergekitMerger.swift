import Foundation
import Checkpoints
import Tensors

/// Runs a ``MergekitConfig`` tensor by tensor, as mergekit does, over memory-mapped inputs.
///
/// Every floating-point tensor is read from every model as `Float`, merged by the method
/// (arithmetic in F32; integer buffers such as `position_ids` are copied from the base),
/// optionally scaled by LiNeS, encoded in the output dtype (`out_dtype`, else `dtype`, else the
/// base's) and written; memory holds one tensor of each input at a time. The output is a
/// `.safetensors` file, or a Hugging Face model folder (shards + `model.safetensors.index.json`,
/// `config.json` with the dtype updated, `generation_config.json` and tokenizer files copied from
/// the base or `tokenizer_source`, a model card and `mergekit_config.yml`), built beside the
/// destination and renamed into place.
public enum MergekitMerger {
    /// How to run a config.
    public struct Options: Sendable {
        /// The seed of random methods (DARE, DELLA); each tensor's draws depend only on it and
        /// the tensor's name.
        public var seed: UInt64 = 0
        /// Shard size of a folder output (default mergekit's and `huggingface_hub`'s 5 GB).
        public var maxShardSize: Int?
        /// The block-index pattern for gradients and LiNeS (default: detected).
        public var layerPattern: String?
        /// Where relative model paths are also looked for (the config file's folder).
        public var configFolder: URL?
        /// What to do with tensors that only some models have.
        public var tensors: TensorSet = .strict
        /// Values per chunk when task arithmetic, TIES and DARE stream a tensor (nil: each tensor
        /// decoded whole, as the other methods are). The bytes do not depend on it.
        public var chunkSize: Int? = 1 << 20

        public init() {}
    }

    /// Which tensors a merge covers when the models do not all have the same ones.
    public enum TensorSet: String, Sendable, CaseIterable {
        /// Every model has every tensor of the reference, and no other (mergekit's rule; tied
        /// output embeddings aside): anything else is an error naming the tensor.
        case strict
        /// The reference's tensors that every model has; the others are left out of the output.
        case intersection
        /// Every tensor of the base; a model without one takes part with the base's values there
        /// (a zero task vector). Needs a base_model.
        case union
    }

    /// The models a config names, opened and checked against the base: same keys, same shapes.
    struct Inputs {
        var method: any TensorMergeMethod
        var base: (any CheckpointReader)?
        var baseReference: String?
        var models: [any CheckpointReader]
        var modelReferences: [String]
        var modelSettings: [[String: MergekitConfig.Setting]]
        /// The reader whose keys, shapes and dtypes the output takes.
        var reference: any CheckpointReader
        var names: [String]
        /// `tokenizer_source` resolved (nil: the base's folder).
        var tokenizerFolder: URL?
        /// Per model (same order as `models`), the tensors read under another name: a tied
        /// `lm_head.weight` read as the input embedding, as mergekit's `tied_names` do.
        var tied: [[String: String]] = []
        /// The same for the base.
        var baseTied: [String: String] = [:]
        /// Per model, the tensors it lacks and takes from the base (`--tensors union`).
        var fromBase: [Set<String>] = []
    }

    /// The names a missing tensor is read under when a model ties it to another (mergekit's
    /// architectures' `tied_names`: the output embedding is the input one).
    static let tiedNames: [String: [String]] = [
        "lm_head.weight": ["model.embed_tokens.weight", "model.decoder.embed_tokens.weight", "transformer.wte.weight",
                           "model.embed_in.weight", "gpt_neox.embed_in.weight", "shared.weight"],
    ]

    /// Merges as `config` says and writes `output`.
    /// - Throws: ``MergeError/badConfig(file:reason:)`` for anything the config asks that
    ///   cannot be run (before any tensor is read), ``MergeError`` for mismatched models,
    ///   ``CheckpointError`` for I/O; nothing is written on failure.
    public static func merge(_ config: MergekitConfig, file: String, options: Options = Options(), to output: URL,
                             progress: ((Int, Int) -> Void)? = nil) throws -> MergeReport {
        _Allocator.keepLargeAllocations()
        // Tensors are merged one per core: BLAS (the SVD methods) single-threaded inside each.
        BLASThreads.beginSingleThreaded()
        defer { BLASThreads.endSingleThreaded() }
        let inputs = try open(config, file: file, options: options)
        try OutputSafety.check(output: output, inputs: ([inputs.base].compactMap { $0 } + inputs.models).map(\.url))
        let names = inputs.names
        let architecture = Architecture.detect(names: names)
        let map: LayerMap?
        if let p = options.layerPattern {
            do { map = try LayerMap(pattern: p, names: names) } catch { throw MergeError.badConfig(file: file, reason: "--layer-pattern: \(error)") }
        } else {
            map = architecture.map { LayerMap(architecture: $0, names: names) }
        }
        // slices: each source must cover every layer (the whole-model case).
        for r in config.layerRanges {
            guard let map, map.layerCount > 0 else {
                throw MergeError.badConfig(file: file, reason: "\(r.path): the layers of \(r.model) are not recognized, so [0, \(r.end)] cannot be checked to cover them all (pass --layer-pattern)")
            }
            guard r.end == map.layerCount else {
                throw MergeError.badConfig(file: file, reason: "\(r.path) is [0, \(r.end)] but \(r.model) has \(map.layerCount) layers; only whole models are merged (layer_range: [0, \(map.layerCount)])")
            }
        }
        if config.lines != nil {
            guard inputs.method.mergesTaskVectors, !inputs.method.usesBase || config.baseModel != nil else {
                throw MergeError.badConfig(file: file, reason: "lines: LiNeS scales a merged task vector, and \(config.mergeMethod) does not produce one (use task_arithmetic, ties, dare_*, breadcrumbs*, della*)")
            }
            guard let map, map.layerCount > 0 else { throw MergeError.noResidualBlocks(pattern: options.layerPattern) }
        }
        var report = MergeReport(method: config.mergeMethod, tasks: inputs.modelReferences,
                                 parameterCount: names.reduce(0) { $0 + (inputs.reference.info($1)?.count ?? 0) })

        // LiNeS's α: given, or ‖Σ τ_t‖₁ / (T · ‖τ_merged‖₁) from one pass that merges and discards.
        var schedule: LinesSchedule?
        if let lines = config.lines, let map {
            var alpha = lines.alpha
            if alpha == nil {
                var summed = 0.0, merged = 0.0
                for name in names where inputs.reference.info(name).map({ Self.mergeable($0.dtype) }) ?? false {
                    let t = try tensorInput(name, inputs: inputs, config: config, map: map, seed: options.seed, file: file)
                    let out = try inputs.method.merge(t)
                    guard let base = t.base else { continue }
                    for j in base.indices {
                        var s: Float = 0
                        for m in t.models { s += m[j] - base[j] }
                        summed += Double(abs(s))
                        merged += Double(abs(out[j] - base[j]))
                    }
                    evict(name, inputs)
                }
                report.normSummed = summed
                report.normMerged = merged
                alpha = LinesSchedule.mergingAlpha(normSummed: summed, normMerged: merged, taskCount: inputs.models.count)
            }
            schedule = LinesSchedule(alpha: alpha ?? 1, beta: lines.beta, layerCount: map.layerCount)
        }
        report.schedule = schedule

        // The write pass.
        let infos = try names.map { name -> TensorInfo in
            guard let info = inputs.reference.info(name) else { throw MergeError.missingKey(key: name, presentIn: "the key list", missingFrom: inputs.reference.url.path) }
            return TensorInfo(name: name, dtype: outputDType(config, stored: info.dtype), shape: info.shape)
        }
        let folder = output.pathExtension != "safetensors"
        var writer = try makeTensorWriter(url: output, tensors: infos, metadata: ["format": "pt"],
                                          maxShardSize: folder ? (options.maxShardSize ?? ShardedSafetensorsWriter.defaultMaxShardSize) : nil)
        do {
            if folder, var sharded = writer as? ShardedSafetensorsWriter {
                let weightsDType = infos.first(where: { Self.mergeable($0.dtype) })?.dtype ?? .f32
                sharded.companionFiles = companionFiles(config, inputs: inputs, dtype: weightsDType)
                writer = sharded
            }
            var nonZero = 0, done = 0
            // Task arithmetic, TIES and DARE stream each tensor in chunks (one tensor per core,
            // largest first, written in place); the rest below.
            let (streamedNames, wholeNames) = options.chunkSize == nil ? ([], names)
                : try partition(names, inputs: inputs, config: config, map: map, seed: options.seed, file: file)
            if !streamedNames.isEmpty {
                let counts = try mergeStreamed(streamedNames, inputs: inputs, config: config, map: map, schedule: schedule,
                                               chunkSize: max(1, options.chunkSize ?? 1), writer: writer) { done += 1; progress?(done, names.count) }
                nonZero += counts
                for (name, _) in streamedNames { writer.markWritten(name) }
            }
            let names = wholeNames
            // Tensors are merged in groups of one per core (each single-threaded), then written in
            // order; a tensor of more than 16 M entries (embeddings, lm_head) is merged alone, so
            // that two of them never sit in memory at once.
            let group = max(1, Parallel.threadCount), alone = 1 << 24
            var start = 0
            while start < names.count {
                var end = start + 1
                if (inputs.reference.info(names[start])?.count ?? 0) <= alone {
                    while end < names.count, end - start < group, (inputs.reference.info(names[end])?.count ?? 0) <= alone { end += 1 }
                }
                let batch = Array(names[start..<end])
                var results = [Result<(out: [Float], changed: Int)?, Error>](repeating: .success(nil), count: batch.count)
                results.withUnsafeMutableBufferPointer { r in
                    Parallel.forEach(batch.count) { g in
                        r[g] = Result { try mergedTensor(batch[g], inputs: inputs, config: config, map: map, schedule: schedule,
                                                         seed: options.seed, file: file) }
                    }
                }
                for (g, name) in batch.enumerated() {
                    if let merged = try results[g].get() {
                        nonZero += merged.changed
                        try merged.out.withUnsafeBufferPointer { try writer.write(name, floats: $0) }
                    } else {
                        // Integer and boolean tensors (position ids, masks) are buffers, not weights: the reference's, unchanged.
                        try writer.write(name, try inputs.reference.read(name))
                    }
                    evict(name, inputs)
                    done += 1
                    progress?(done, inputs.names.count)
                }
                start += batch.count
            }
            try writer.finish()
            if inputs.base != nil, report.parameterCount > 0 { report.nonZeroFraction = Double(nonZero) / Double(report.parameterCount) }
        } catch {
            writer.abandon()
            throw error
        }
        report.outputs = [output]
        return report
    }

    /// The output dtype of a tensor stored as `stored`: `out_dtype`, else `dtype`, else as stored
    /// (integer tensors are kept as they are).
    static func outputDType(_ config: MergekitConfig, stored: DType) -> DType {
        guard mergeable(stored) else { return stored }
        return config.outDType ?? config.dtype ?? stored
    }

    /// One merged tensor (LiNeS applied) and how many entries differ from the base, or `nil` for
    /// a tensor that is not merged (integers: copied from the reference).
    static func mergedTensor(_ name: String, inputs: Inputs, config: MergekitConfig, map: LayerMap?, schedule: LinesSchedule?,
                             seed: UInt64, file: String) throws -> (out: [Float], changed: Int)? {
        guard let info = inputs.reference.info(name), mergeable(info.dtype) else { return nil }
        let t = try tensorInput(name, inputs: inputs, config: config, map: map, seed: seed, file: file)
        var out = try inputs.method.merge(t)
        var changed = 0
        if let base = t.base {
            if let schedule, let map {
                let s = Float(schedule.lambda(forKey: name, in: map))
                for j in out.indices { out[j] = base[j] + s * (out[j] - base[j]) }
            }
            for j in out.indices where out[j] != base[j] { changed += 1 }
        }
        return (out, changed)
    }

    /// The tensors merged in chunks (``_StreamedTaskArithmetic``), with their parameters, and the
    /// others, each in the given order.
    static func partition(_ names: [String], inputs: Inputs, config: MergekitConfig, map: LayerMap?, seed: UInt64,
                          file: String) throws -> (streamed: [(String, TensorMergeInput)], whole: [String]) {
        guard inputs.method is TaskArithmeticFamily, inputs.base != nil else { return ([], names) }
        var streamed: [(String, TensorMergeInput)] = [], whole: [String] = []
        for name in names {
            guard let info = inputs.reference.info(name), mergeable(info.dtype) else { whole.append(name); continue }
            let p = try tensorParameters(name, inputs: inputs, config: config, map: map, seed: seed, file: file)
            if _StreamedTaskArithmetic.supports(inputs.method, p) { streamed.append((name, p)) } else { whole.append(name) }
        }
        return (streamed, whole)
    }

    /// Merges `tensors` (names and parameters) in chunks, one tensor per core (largest first, so that the large ones do
    /// not finish last), each written in place in the output; `finished` after each tensor.
    /// - Returns: how many entries differ from the base.
    static func mergeStreamed(_ tensors: [(String, TensorMergeInput)], inputs: Inputs, config: MergekitConfig, map: LayerMap?,
                              schedule: LinesSchedule?, chunkSize: Int, writer: any TensorWriter, finished: () -> Void) throws -> Int {
        guard let method = inputs.method as? TaskArithmeticFamily, let base = inputs.base else { return 0 }
        let order = tensors.sorted { (inputs.reference.info($0.0)?.count ?? 0) > (inputs.reference.info($1.0)?.count ?? 0) }
        let engine = _StreamedTaskArithmetic(method: method, chunkSize: chunkSize)
        let lock = NSLock()
        var next = 0, changed = 0
        var failure: Error?
        Parallel.forEach(max(1, min(Parallel.threadCount, order.count))) { _ in
            while true {
                lock.lock()
                guard failure == nil, next < order.count else { lock.unlock(); return }
                let (name, p) = order[next]
                next += 1
                lock.unlock()
                do {
                    let models = inputs.models.enumerated().map { i, m -> _StreamedTaskArithmetic.Source in
                        inputs.fromBase[i].contains(name) ? .init(reader: base, name: name) : .init(reader: m, name: inputs.tied[i][name] ?? name)
                    }
                    let scale = schedule.flatMap { s in map.map { Float(s.lambda(forKey: name, in: $0)) } }
                    let dtype = outputDType(config, stored: inputs.reference.info(name)?.dtype ?? .f32)
                    var kicked = 0
                    let n = try engine.merge(p, base: .init(reader: base, name: inputs.baseTied[name] ?? name), models: models,
                                             lambda: scale, dtype: dtype) { bytes, offset in
                        try writer.writePart(name, bytes: bytes, at: offset)
                        // Write-back started every 8 MiB rather than once the tensor is done.
                        let end = offset + bytes.count
                        if end - kicked >= 8 << 20 {
                            writer.startWriteback(name, bytes: kicked..<end)
                            kicked = end
                        }
                    }
                    lock.lock()
                    changed += n
                    finished()
                    lock.unlock()
                } catch {
                    lock.lock()
                    if failure == nil { failure = error }
                    lock.unlock()
                }
            }
        }
        if let failure { throw failure }
        return changed
    }

    /// Whether tensors of `dtype` are merged (floating point) or copied from the reference.
    static func mergeable(_ dtype: DType) -> Bool { [.f32, .f16, .bf16, .f64].contains(dtype) }

    static func evict(_ name: String, _ inputs: Inputs) {
        inputs.base?.evict(name)
        for m in inputs.models { m.evict(name) }
    }

    /// Opens the base and the models and checks the config against the method, before any
    /// tensor is read.
    static func open(_ config: MergekitConfig, file: String, options: Options) throws -> Inputs {
        func fail(_ reason: String) -> MergeError { .badConfig(file: file, reason: reason) }
        guard let method = TensorMergeRegistry.method(named: config.mergeMethod) else {
            throw fail("merge_method '\(config.mergeMethod)' is not one Lines runs (\(TensorMergeRegistry.names.joined(separator: ", ")))")
        }
        if method.needsBase && config.baseModel == nil { throw fail("\(method.name) needs base_model") }
        // Shared parameters: known names, required ones present.
        for key in config.parameters.keys.sorted() where method.sharedParameters[key] == nil && method.modelParameters[key] == nil {
            throw fail("parameters.\(key) is not a parameter of \(method.name) (it takes \(parameterList(method)))")
        }
        for (key, def) in method.sharedParameters.sorted(by: { $0.key < $1.key }) where def == nil && config.parameters[key] == nil {
            throw fail("\(method.name) needs parameters.\(key)")
        }
        // Models: the base (when listed) is not a model being merged, except for linear.
        let baseRef = config.baseModel
        var refs: [String] = [], settings: [[String: MergekitConfig.Setting]] = []
        for (i, m) in config.models.enumerated() {
            if m.model.contains("+") { throw fail("models[\(i)].model '\(m.model)': LoRA references (model+adapter) are not supported") }
            for key in m.parameters.keys.sorted() where method.modelParameters[key] == nil && method.sharedParameters[key] == nil {
                throw fail("models[\(i)].parameters.\(key) is not a parameter of \(method.name) (it takes \(parameterList(method)))")
            }
            if m.model == baseRef && method.usesBase { continue }
            for (key, def) in method.modelParameters.sorted(by: { $0.key < $1.key }) where def == nil && m.parameters[key] == nil && config.parameters[key] == nil {
                throw fail("models[\(i)] (\(m.model)) needs parameters.\(key) for \(method.name)")
            }
            refs.append(m.model)
            settings.append(m.parameters)
        }
        if let n = method.modelCount, refs.count != n {
            throw fail("\(method.name) merges exactly \(n) model\(n == 1 ? "" : "s") besides the base; the config lists \(refs.count)")
        }
        guard !refs.isEmpty else { throw fail("models lists no model to merge besides the base") }
        func resolve(_ ref: String, _ key: String) throws -> URL {
            let fm = FileManager.default
            var candidates = [URL(fileURLWithPath: (ref as NSString).expandingTildeInPath)]
            if let folder = options.configFolder, !ref.hasPrefix("/") { candidates.append(folder.appendingPathComponent(ref)) }
            if let found = candidates.first(where: { fm.fileExists(atPath: $0.path) }) { return found }
            throw fail("\(key) '\(ref)': no such file or folder (looked in the current folder\(options.configFolder == nil ? "" : " and beside the config"); Lines reads local models: download Hugging Face ones first)")
        }
        let baseReader = try baseRef.map { try Checkpoint.open(try resolve($0, "base_model")) }
        var readers: [any CheckpointReader] = []
        for (i, r) in refs.enumerated() {
            let idx = config.models.firstIndex { $0.model == r } ?? i
            readers.append(try Checkpoint.open(try resolve(r, "models[\(idx)].model")))
        }
        var tokenizerFolder: URL?
        if config.tokenizerSource == "union" {
            throw fail("tokenizer_source: union (a merged vocabulary) is not supported; use base or a model's folder")
        } else if let t = config.tokenizerSource, t != "base" {
            tokenizerFolder = try resolve(t, "tokenizer_source")
        }
        // Keys and shapes: every model as the reference (the base, else the first model).
        let reference = baseReader ?? readers[0]
        var names = reference.sortedNames
        if options.tensors == .union, baseReader == nil {
            throw fail("--tensors union fills a model's missing tensors from the base: give a base_model")
        }
        var fromBase = [Set<String>](repeating: [], count: readers.count)
        if options.tensors != .strict {
            // Tensors some model lacks (its tied substitutes aside): left out, or from the base.
            for (i, r) in readers.enumerated() where r !== reference {
                let theirs = Set(r.tensors.map(\.name))
                let lacking = names.filter { !theirs.contains($0) && !(tiedNames[$0]?.contains(where: theirs.contains) ?? false) }
                if options.tensors == .intersection {
                    names.removeAll { lacking.contains($0) }
                } else {
                    fromBase[i] = Set(lacking)
                }
            }
            if names.isEmpty { throw fail("--tensors intersection: the models have no tensor in common") }
        }
        // A model that ties its output embedding has no lm_head.weight: read its input embedding.
        func substitutes(_ r: any CheckpointReader, skipping: Set<String> = []) throws -> [String: String] {
            var found: [String: String] = [:]
            let theirs = Set(r.tensors.map(\.name))
            for missing in names where !theirs.contains(missing) && !skipping.contains(missing) {
                guard let tied = tiedNames[missing]?.first(where: { theirs.contains($0) }),
                      r.info(tied)?.shape == reference.info(missing)?.shape else {
                    throw MergeError.missingKey(key: missing, presentIn: reference.url.path, missingFrom: r.url.path)
                }
                found[missing] = tied
            }
            if options.tensors == .strict, let extra = r.sortedNames.first(where: { reference.info($0) == nil }) {
                if tiedNames[extra] != nil {
                    throw fail("tensor '\(extra)' is in \(r.url.path) but \(reference.url.path) ties it to its input embedding; a tied reference with untied models is not supported (make an untied model the base)")
                }
                throw MergeError.missingKey(key: extra, presentIn: r.url.path, missingFrom: reference.url.path)
            }
            for name in names where !skipping.contains(name) {
                let a = reference.info(name)?.shape ?? [], b = r.info(found[name] ?? name)?.shape ?? []
                if a != b { throw MergeError.shapeMismatch(key: name, expected: a, found: b, reference: reference.url.path, file: r.url.path) }
            }
            return found
        }
        let tied = try readers.enumerated().map { i, r in r === reference ? [:] : try substitutes(r, skipping: fromBase[i]) }
        let baseTied = try baseReader.map { $0 === reference ? [:] : try substitutes($0) } ?? [:]
        return Inputs(method: method, base: baseReader, baseReference: baseRef, models: readers, modelReferences: refs,
                      modelSettings: settings, reference: reference, names: names, tokenizerFolder: tokenizerFolder,
                      tied: tied, baseTied: baseTied, fromBase: fromBase)
    }

    static func parameterList(_ method: any TensorMergeMethod) -> String {
        let all = Array(method.sharedParameters.keys) + Array(method.modelParameters.keys)
        return all.isEmpty ? "no parameters" : all.sorted().joined(separator: ", ")
    }

    /// One tensor of every input, with every parameter evaluated for it.
    static func tensorInput(_ name: String, inputs: Inputs, config: MergekitConfig, map: LayerMap?, seed: UInt64,
                            file: String) throws -> TensorMergeInput {
        var t = try tensorParameters(name, inputs: inputs, config: config, map: map, seed: seed, file: file)
        // The base is decoded only for methods that use it (linear takes the listed models alone).
        t.base = inputs.method.usesBase ? try inputs.base?.readFloat(inputs.baseTied[name] ?? name).scalars : nil
        t.models = try inputs.models.enumerated().map { i, m in
            if inputs.fromBase[i].contains(name), let base = inputs.base { return try base.readFloat(name).scalars }
            return try m.readFloat(inputs.tied[i][name] ?? name).scalars
        }
        return t
    }

    /// A tensor's parameters (every setting evaluated for it, its seed), its values not read.
    static func tensorParameters(_ name: String, inputs: Inputs, config: MergekitConfig, map: LayerMap?, seed: UInt64,
                                 file: String) throws -> TensorMergeInput {
        // Relative depth for gradients: block i of L at i/(L−1) (1 when L = 1), other tensors at 0.
        var t = 0.0
        if let map, let block = map.block(of: name) { t = map.layerCount > 1 ? Double(block) / Double(map.layerCount - 1) : 1 }
        let method = inputs.method
        func evaluate(_ key: String, _ setting: MergekitConfig.Setting?, _ def: Double??, at path: String) throws -> Double? {
            if let setting {
                if let v = setting.value(tensor: name, t: t) { return v }
            }
            if let def, let d = def { return d }
            if setting != nil || def != nil { throw MergeError.badConfig(file: file, reason: "\(path).\(key): no filter matches tensor '\(name)' and the parameter has no default") }
            return nil
        }
        var shared: [String: Double] = [:]
        for (key, def) in method.sharedParameters {
            if let v = try evaluate(key, config.parameters[key], def, at: "parameters") { shared[key] = v }
        }
        var perModel: [[String: Double]] = []
        for settings in inputs.modelSettings {
            var p: [String: Double] = [:]
            for (key, def) in method.modelParameters {
                if let v = try evaluate(key, settings[key] ?? config.parameters[key], def, at: "models.parameters") { p[key] = v }
            }
            perModel.append(p)
        }
        guard let info = inputs.reference.info(name) else {
            throw MergeError.missingKey(key: name, presentIn: "the key list", missingFrom: inputs.reference.url.path)
        }
        var h = FNV1a()
        h.add("\(seed)")
        h.add(name)
        return TensorMergeInput(name: name, shape: info.shape, base: nil, models: [],
                                modelParameters: perModel, parameters: shared, seed: h.value)
    }
}
