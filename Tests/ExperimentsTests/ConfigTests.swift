import Datasets
import Experiments
import Foundation
import Testing

@Suite("run configuration")
struct ConfigTests {
    func compose(_ args: [String]) throws -> ConfigValue {
        try ConfigLoader().compose(args.map(ConfigOverride.init))
    }

    @Test("defaults are the reference's config.yaml with method: sum")
    func defaults() throws {
        let c = try ExperimentConfig(tree: compose([]))
        #expect(c.model == "ViT-B-32")
        #expect(c.numTasks == 8)
        #expect(c.datasets.map(\.rawValue) == ["EuroSAT", "DTD", "SUN397", "MNIST", "RESISC45", "GTSRB", "Cars", "SVHN"])
        #expect(c.validationNames.first == "EuroSATVal")
        #expect(c.method == .sum && c.k == 100 && !c.applyLines)
        #expect(c.fullName == "sum_k=100")
        #expect(c.specifyLambda == nil)
        #expect(c.nEvalPoints == 21 && c.batchSize == 128)
        #expect(c.resultURL.path.hasSuffix("results/merging_multi_task/ViT-B-32_8tasks_sum_k=100_merged__.json"))
        #expect(try compose([]).value(at: ["wandb", "group"]) == .string("ViT-B-32"))
    }

    @Test("method=ties loads ties.yaml; method.* overrides apply after it whatever their order")
    func methodGroup() throws {
        let c = try ExperimentConfig(tree: compose(["method.k=10", "method=ties", "method.apply_lines=True", "num_tasks=14"]))
        #expect(c.method == .ties && c.k == 10 && c.applyLines && c.aggregation == .mean)
        #expect(c.fullName == "ties_k=10")
        #expect(c.datasets.count == 14)
        #expect(c.resultURL.lastPathComponent == "ViT-B-32_14tasks_ties_k=10_merged__lines.json")
    }

    @Test("booleans in any case, lists, numbers, None")
    func values() throws {
        #expect(ConfigValue.parse("TRUE") == .bool(true))
        #expect(ConfigValue.parse("fAlse") == .bool(false))
        #expect(ConfigValue.parse("[MNIST, Cars]") == .list([.string("MNIST"), .string("Cars")]))
        #expect(ConfigValue.parse("0.5") == .double(0.5))
        #expect(ConfigValue.parse("1e-3") == .double(0.001))
        #expect(ConfigValue.parse("12") == .int(12))
        #expect(ConfigValue.parse("None") == .string("None"))
        #expect(ConfigValue.parse("'007'") == .string("007"))
        // Nesting is bounded (the override fuzz target's 16 KiB of brackets took seconds,
        // quadratic): 32 levels parse as lists, deeper ones stay text.
        var nested = ConfigValue.parse(String(repeating: "[", count: 32) + "1" + String(repeating: "]", count: 32))
        for _ in 0..<32 { guard case let .list(items) = nested, items.count == 1 else { Issue.record("not a list: \(nested)"); break }; nested = items[0] }
        #expect(nested == .int(1))
        let deep = String(repeating: "[", count: 8000) + String(repeating: "]", count: 8000)
        var value = ConfigValue.parse(deep)
        var levels = 0
        while case let .list(items) = value, let first = items.first { value = first; levels += 1 }
        #expect(levels == 32)
        #expect(value == .string(String(deep.dropFirst(32).dropLast(32))))
        let c = try ExperimentConfig(tree: compose(["DATASETS=[MNIST,Cars]", "specify_lambda=0.3", "method=consensus", "method.use_ties=True"]))
        #expect(c.datasets == [.mnist, .cars] && c.numTasks == 2)
        #expect(c.specifyLambda == 0.3)
        #expect(c.maskSuffix == "k_2_ties")
        #expect(CoefficientGrid.values(for: c) == [0.3])
    }

    @Test("an unknown key is refused with the closest valid one")
    func unknownKey() throws {
        #expect(throws: ExperimentError.unknownKey("method.kk", suggestion: "method.k")) { try compose(["method=ties", "method.kk=3"]) }
        #expect(throws: ExperimentError.unknownKey("num_task", suggestion: "num_tasks")) { try compose(["num_task=3"]) }
        do {
            _ = try compose(["method.prun_thre_k=1"])
            Issue.record("accepted a consensus key with method=sum")
        } catch let e as ExperimentError {
            #expect(e.description.contains("method=consensus"), "\(e)")
        }
        #expect(throws: ExperimentError.unknownMethod("tie", known: ConfigLoader().methodNames)) { try compose(["method=tie"]) }
        #expect(throws: ExperimentError.malformedOverride("method")) { try ConfigOverride("method") }
    }

    @Test("+key adds what a method file lacks: the reference's +method.apply_lines=False workaround")
    func plusKey() throws {
        #expect(throws: ExperimentError.self) { try compose(["method=average", "method.apply_lines=false"]) }
        let c = try ExperimentConfig(tree: compose(["method=average", "+method.apply_lines=False"]))
        #expect(c.method == .average && !c.applyLines)
        #expect(CoefficientGrid.values(for: c) == [0.125])
        #expect(throws: ExperimentError.self) { try ExperimentConfig(tree: compose(["method=average", "+method.apply_lines=true"])) }
    }

    @Test("bad values name the key and what was expected")
    func badValues() throws {
        #expect(throws: ExperimentError.badValue(key: "num_tasks", value: "eight", expected: "an integer")) {
            try ExperimentConfig(tree: compose(["num_tasks=eight"]))
        }
        do {
            _ = try ExperimentConfig(tree: compose(["DATASETS=[MNIST,Mars]"]))
            Issue.record("accepted an unknown task")
        } catch let e as ExperimentError {
            #expect(e.description.hasPrefix("Config key 'DATASETS' is 'Mars', expected task names among EuroSAT, DTD"))
        }
        #expect(throws: ExperimentError.self) { try ExperimentConfig(tree: compose(["method=single_task", "method.task_index=8"])) }
    }

    @Test("--cfg prints the composed tree as YAML, in file order")
    func yaml() throws {
        let text = try compose(["method=ties", "model=ViT-L-14"]).yaml()
        #expect(text.hasPrefix("model: ViT-L-14\nnum_tasks: 8\nspecify_lambda: None\nDATASETS: ''\n"))
        #expect(text.contains("method:\n  name: ties\n  full_name: ties_k=20\n  k: 20\n  apply_lines: false\n  agg: mean\n"))
        #expect(text.contains("wandb:\n  project: task-vectors\n  mode: online\n  group: ViT-L-14\n"))
    }

    @Test("a Hydra config folder is read like the reference's config/")
    func configDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-cfg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("method"), withIntermediateDirectories: true)
        try """
        defaults:
          - _self_
          - method: ties
        model: ViT-B-16
        num_tasks: 20
        specify_lambda: None
        DATASETS: ''
        n_eval_points: 11
        batch_size: 64
        data_location: ~data
        model_location: models/checkpoints
        hydra:
          run:
            dir: ./logs/${model}/${now:%Y-%m-%d}
        """.write(to: dir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        try "name: ties\nfull_name: ${method.name}_k=${method.k}\nk: 100\nagg: mean\n"
            .write(to: dir.appendingPathComponent("method/ties.yaml"), atomically: true, encoding: .utf8)
        let c = try ExperimentConfig(tree: ConfigLoader(directory: dir).compose([]))
        #expect(c.model == "ViT-B-16" && c.numTasks == 20 && c.method == .ties && c.k == 100 && c.fullName == "ties_k=100")
        #expect(c.activation == .quickGELU)
        #expect(CoefficientGrid.taskArithmetic(nEvalPoints: c.nEvalPoints).count == 5)
    }
}

@Suite("grids, means and selection")
struct MetricsTests {
    @Test("grids are numpy's floats, as the reference's JSON keys show them")
    func grids() {
        #expect(CoefficientGrid.taskArithmetic(nEvalPoints: 21).map(pythonRepr) ==
                ["0.1", "0.2", "0.30000000000000004", "0.4", "0.5", "0.6000000000000001", "0.7000000000000001", "0.8", "0.9", "1.0"])
        #expect(CoefficientGrid.ties.map(pythonRepr) ==
                ["0.1", "0.2", "0.30000000000000004", "0.4", "0.5", "0.6", "0.7000000000000001", "0.8", "0.9", "1.0", "1.1",
                 "1.2000000000000002", "1.3000000000000003", "1.4000000000000001", "1.5000000000000002"])
        // np.arange(0.0, 1.1, 0.1)[::-1], as `[repr(float(x)) for x in …]` prints it.
        #expect(CoefficientGrid.singleTaskGamma.map(pythonRepr) ==
                ["1.0", "0.9", "0.8", "0.7000000000000001", "0.6000000000000001", "0.5", "0.4", "0.30000000000000004", "0.2", "0.1", "0.0"])
        #expect(pythonRepr(1e-05) == "1e-05" && pythonRepr(0.0001) == "0.0001" && pythonRepr(1e16) == "1e+16")
    }

    @Test("np.mean's pairwise summation order, to the last bit")
    func numpyMean() {
        let eight = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
        #expect(Metrics.numpyMean(eight) == (((0.1 + 0.2) + (0.3 + 0.4)) + ((0.5 + 0.6) + (0.7 + 0.8))) / 8)
        let twenty = (0..<20).map { Double($0) * 0.1 + 0.05 }
        var r = Array(twenty[0..<8])
        for j in 0..<8 { r[j] += twenty[8 + j] }
        var expected = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in 16..<20 { expected += twenty[i] }
        #expect(Metrics.numpyMean(twenty) == expected / 20)
        #expect(Metrics.numpyMean([1, 2, 4]) == 7.0 / 3)
    }

    @Test("selection keeps the first strict maximum above 0, as find_optimal_coef")
    func selection() {
        #expect(Metrics.firstStrictMaximum([0.3, 0.5, 0.5, 0.4]) == 1)
        #expect(Metrics.firstStrictMaximum([0, 0, 0]) == nil)
        #expect(Metrics.firstStrictMaximum([0.2, 0.2], floor: -.infinity) == 0)
        #expect(Metrics.firstStrictMaximum([.nan, 0.1]) == 1)
    }

    @Test("result documents render as json.dump(indent=4)")
    func rendering() {
        let doc = JSONDocument.object([
            JSONEntry("test", .object([JSONEntry("MNIST:top1", .number(0.5)), JSONEntry("avg_top1", .number(2.0 / 3))])),
            JSONEntry("val", .object([])),
            JSONEntry("é\"", .array([.integer(1), .null])),
        ])
        #expect(doc.rendered() == "{\n    \"test\": {\n        \"MNIST:top1\": 0.5,\n        \"avg_top1\": 0.6666666666666666\n    },\n    \"val\": {},\n    \"\\u00e9\\\"\": [\n        1,\n        null\n    ]\n}")
    }
}
