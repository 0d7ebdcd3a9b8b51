import ArgumentParser
import Checkpoints
import Foundation
import Merging
import Testing
import TestSupport
@testable import LinesCLI

/// `lines merge --config` and `--trim per-tensor`: the command line onto the mergekit path.
@Suite("lines merge --config and --trim per-tensor")
struct MergeConfigCommandTests {
    static let models = TestPaths.fixtures.appendingPathComponent("mergekit/models")

    func refusal(_ arguments: [String]) throws -> String {
        var failure: Error?
        do {
            let c = try #require(try Lines.parseAsRoot(["merge"] + arguments) as? Merge)
            try c.validate()
        } catch { failure = error }
        return Lines.report(for: try #require(failure, "\(arguments) should be refused")).0
    }

    @Test("--config goes alone; per-tensor trim is ties's, with mean or sum")
    func refusals() throws {
        #expect(try refusal(["--config", "m.yml", "--method", "ties", "-o", "o"]).contains("--method does not go with --config"))
        #expect(try refusal(["--config", "m.yml", "--lines", "--beta", "1", "-o", "o"]).contains("--lines does not go with --config"))
        #expect(try refusal(["-o", "o"]).contains("give --method"))
        #expect(try refusal(["--method", "sum", "--trim", "per-tensor", "--pretrained", "p", "--finetuned", "a", "-o", "o"]).contains("applies to ties only"))
        #expect(try refusal(["--method", "ties", "--trim", "per-tensor", "--agg", "max", "--pretrained", "p", "--finetuned", "a", "-o", "o"]).contains("not max"))
        #expect(try refusal(["--method", "ties", "--trim", "layer", "--pretrained", "p", "--finetuned", "a", "-o", "o"]).contains("is not a scope"))
        #expect(try refusal(["--config", "m.yml", "--max-shard-size", "lots", "-o", "o"]).contains("--max-shard-size"))
        #expect(try refusal(["--method", "ties", "--seed", "3", "--pretrained", "p", "--finetuned", "a", "-o", "o"]).contains("--seed goes with --method dare or --config"))
        #expect(try refusal(["--method", "sum", "--max-shard-size", "1GB", "--pretrained", "p", "--finetuned", "a", "-o", "o"]).contains("--max-shard-size goes with"))
    }

    @Test("--method ties --trim per-tensor --k 30 is mergekit's TIES with density 0.3 and weight 1, byte for byte")
    func perTensorIsMergekitTIES() throws {
        let dir = try temporaryFolder("merge-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = Self.models.appendingPathComponent("base").path
        let a = Self.models.appendingPathComponent("a").path, b = Self.models.appendingPathComponent("b").path
        let viaFlags = dir.appendingPathComponent("flags.safetensors")
        var c = try #require(try Lines.parseAsRoot(["merge", "--method", "ties", "--trim", "per-tensor", "--k", "30", "--coefficient", "0.8",
                                                   "--pretrained", base, "--finetuned", a, b, "-o", viaFlags.path]) as? Merge)
        try c.validate()
        try c.run()
        let yaml = """
        merge_method: ties
        base_model: \(base)
        models:
          - model: \(a)
            parameters: {weight: 1, density: 0.3}
          - model: \(b)
            parameters: {weight: 1, density: 0.3}
        parameters: {normalize: true, lambda: 0.8}
        """
        let file = dir.appendingPathComponent("ties.yml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let viaConfig = dir.appendingPathComponent("config.safetensors")
        c = try #require(try Lines.parseAsRoot(["merge", "--config", file.path, "-o", viaConfig.path]) as? Merge)
        try c.validate()
        try c.run()
        let x = try SafetensorsFile(url: viaFlags), y = try SafetensorsFile(url: viaConfig)
        #expect(x.sortedNames == y.sortedNames)
        for key in y.sortedNames { #expect(try x.read(key).data == y.read(key).data, "\(key)") }
    }
}
