import Experiments
import Foundation
import TestSupport

/// Repository root.
let repositoryRoot = TestPaths.repositoryRoot

/// The tiny data_location of `Scripts/fixtures/dataset_fixtures.py`.
let dataRoot = repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/root")

/// The tiny model and expected results of `Scripts/fixtures/runner_fixtures.py`.
let runnerFixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/runner")

/// A fresh folder with a copy of the fixture's `model_checkpoints`, and room for results, logs,
/// masks and the decode cache; removed by `cleanup()`.
struct Workspace {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lines-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: runnerFixtures.appendingPathComponent("model_checkpoints"),
                                         to: root.appendingPathComponent("model_checkpoints"))
    }

    var modelLocation: URL { root.appendingPathComponent("model_checkpoints") }

    /// Overrides that point a run at this workspace and the fixture's four tasks.
    func overrides(_ extra: [String]) -> [String] {
        ["model=tiny", "DATASETS=[EuroSAT,GTSRB,CIFAR10,KMNIST]", "data_location=\(dataRoot.path)",
         "model_location=\(modelLocation.path)", "cache_dir=\(root.appendingPathComponent("cache").path)",
         "results_location=\(root.appendingPathComponent("results").path)",
         "logs_location=\(root.appendingPathComponent("logs").path)", "batch_size=4"] + extra
    }

    func config(_ extra: [String]) throws -> ExperimentConfig {
        try ExperimentConfig(tree: ConfigLoader().compose(overrides(extra).map(ConfigOverride.init)))
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }
}

/// The bytes the reference's json.dump wrote for run `name`.
func expectedResult(_ name: String) throws -> String {
    try String(contentsOf: runnerFixtures.appendingPathComponent("expected/\(name).json"), encoding: .utf8)
}

/// The results file the reference's own `main.py` wrote for the same run on the same inputs
/// (`reference/<name>.json`, `Scripts/fixtures/reference_run.py`).
func referenceResult(_ name: String) throws -> String {
    try String(contentsOf: runnerFixtures.appendingPathComponent("reference/\(name).json"), encoding: .utf8)
}

/// `expected/facts.json`.
func facts() throws -> [String: Any] {
    let data = try Data(contentsOf: runnerFixtures.appendingPathComponent("expected/facts.json"))
    return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
}
