import ArgumentParser
import Foundation
import Merging
import Testing
import TestSupport
@testable import LinesCLI

/// `lines merge --method tsv|iso-c|iso-cts|dare|breadcrumbs`: flags, refusals, and the built
/// executable end to end on the merge fixtures.
@Suite("lines merge: the SVD methods, DARE and Breadcrumbs")
struct NewMethodsCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/merge")
    static let tasks = ["EuroSAT", "DTD", "MNIST", "SVHN"]
    /// Parsing and refusals as the other `lines merge` argument tests see them.
    let arguments = MergeCommandTests()

    func parse(_ a: [String]) throws -> Merge { try arguments.parse(a) }

    @Test("each method's flags become its options")
    func options() throws {
        let cts = try parse(["--method", "iso-cts", "--common-space-fraction", "0.6"]).options()
        #expect(cts.method == .isoCTS && cts.commonSpaceFraction == 0.6)
        let dare = try parse(["--method", "dare", "--drop-rate", "0.8", "--seed", "9"]).options()
        #expect(dare.dropRate == 0.8 && dare.seed == 9)
        let crumbs = try parse(["--method", "breadcrumbs", "--density", "0.8", "--gamma", "0.05"]).options()
        #expect(crumbs.density == 0.8 && crumbs.gamma == 0.05)
        #expect(try parse(["--method", "tsv", "--lines", "--beta", "0.5"]).options().lines?.beta == 0.5)
    }

    @Test("what does not fit is refused by name", arguments: [
        (["--method", "tsv", "--drop-rate", "0.5"], "--drop-rate applies to dare only, not tsv"),
        (["--method", "dare", "--drop-rate", "1"], "dare: --drop-rate must be in [0.0, 1.0)"),
        (["--method", "iso-cts", "--common-space-fraction", "-0.1"], "iso-cts: --common-space-fraction must be in [0.0, 1.0]"),
        (["--method", "breadcrumbs", "--density", "0"], "breadcrumbs: --density must be in (0.0, 1.0]"),
        (["--method", "sum", "--seed", "3"], "--seed goes with --method dare or --config (its random methods dare_*, della*); sum draws no random numbers"),
        (["--method", "iso-c", "--gamma", "0.1"], "--gamma applies to breadcrumbs only, not iso-c"),
    ])
    func refused(arguments: [String], message: String) throws {
        let text = try self.arguments.refusal(arguments)
        #expect(text.contains(message), "\(text)")
    }

    @Test("the help lists the new methods with their parameters")
    func help() {
        let help = Merge.helpMessage()
        for name in ["tsv", "iso-c", "iso-cts", "dare", "breadcrumbs", "--common-space-fraction", "--drop-rate", "--density", "--gamma"] {
            #expect(help.contains(name), "help does not mention \(name)")
        }
    }

    func merge(_ extra: [String], out: URL, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let exe = try #require(linesExecutable(), "the lines executable is built with the tests")
        let args = ["merge"] + extra + ["--pretrained", Self.fixtures.appendingPathComponent("zeroshot.safetensors").path, "--finetuned"]
            + Self.tasks.map { "\($0)=" + Self.fixtures.appendingPathComponent("\($0)Val/nonlinear_finetuned.safetensors").path }
            + ["-o", out.path]
        return try LinesProcess.run(exe, args, environment: environment)
    }

    @Test("DARE: the same bytes with 1 and 2 threads and from run to run; another seed, other bytes")
    func dareThreads() throws {
        let dir = try temporaryFolder("dare-cli")
        var outputs: [Data] = []
        for (i, (threads, seed)) in [("1", "7"), ("2", "7"), ("2", "7"), ("2", "8")].enumerated() {
            let out = dir.appendingPathComponent("dare\(i).safetensors")
            let r = try merge(["--method", "dare", "--drop-rate", "0.6", "--seed", seed], out: out, environment: ["LINES_THREADS": threads])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try Data(contentsOf: out))
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
        #expect(outputs[2] != outputs[3])
    }

    @Test("every new method, with and without LiNeS, writes a model and says what it did",
          arguments: [["--method", "tsv"], ["--method", "iso-c", "--coefficient", "0.5"], ["--method", "iso-cts"],
                      ["--method", "dare"], ["--method", "breadcrumbs"], ["--method", "tsv", "--lines", "--beta", "0.3"],
                      ["--method", "iso-cts", "--lines", "--beta", "0.3"], ["--method", "dare", "--lines", "--alpha", "0.2", "--beta", "0.3"]])
    func endToEnd(arguments: [String]) throws {
        let dir = try temporaryFolder("new-methods")
        let out = dir.appendingPathComponent("m.safetensors")
        let r = try merge(arguments, out: out)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
        if arguments.contains("--lines") { #expect(r.stdout.contains("α"), "\(r.stdout)") }
    }

    @Test("one task is refused for the SVD methods, naming the method")
    func oneTask() throws {
        let exe = try #require(linesExecutable())
        let out = try temporaryFolder("tsv-one").appendingPathComponent("m.safetensors")
        let r = try LinesProcess.run(exe, ["merge", "--method", "tsv", "--pretrained", Self.fixtures.appendingPathComponent("zeroshot.safetensors").path,
                                           "--finetuned", Self.fixtures.appendingPathComponent("DTDVal/nonlinear_finetuned.safetensors").path, "-o", out.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("tsv merges the subspaces of at least 2 task vectors"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
