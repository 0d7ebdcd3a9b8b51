import ArgumentParser
import Foundation
import Merging
import Testing
@testable import LinesCLI

/// `lines merge`'s arguments: what parses into which options, what is refused and why, and the
/// help generated from the method registry.
@Suite("lines merge arguments")
struct MergeCommandTests {
    static let files = ["--pretrained", "p", "--finetuned", "a", "b", "-o", "o"]

    func parse(_ arguments: [String]) throws -> Merge {
        let c = try #require(try Lines.parseAsRoot(["merge"] + arguments + Self.files) as? Merge)
        try c.validate()
        return c
    }

    func refusal(_ arguments: [String]) throws -> String {
        var failure: Error?
        do { _ = try parse(arguments) } catch { failure = error }
        return Lines.report(for: try #require(failure, "\(arguments) should be refused")).0
    }

    @Test("flags become the options the library merges with; unset flags keep the reference's defaults")
    func options() throws {
        let ties = try parse(["--method", "ties", "--k", "30", "--agg", "max", "--lines", "--beta", "0.5"]).options()
        #expect(ties.method == .ties && ties.k == 30 && ties.aggregation == .max && ties.effectiveK == 30)
        #expect(ties.lines?.alpha == nil && ties.lines?.beta == 0.5 && ties.given == ["k", "agg"])
        let plain = try parse(["--method", "ties"]).options()
        #expect(plain.effectiveK == 20 && plain.aggregation == .mean && plain.lines == nil && plain.coefficient == 1 && plain.given.isEmpty)
        let consensus = try parse(["--method", "consensus", "--prun-thre-k", "3", "--tall-lambda", "0.2", "0.6", "--use-ties"]).options()
        #expect(consensus.prunThreK == 3 && consensus.tallLambdas == [0.2, 0.6] && consensus.useTies)
        let negated = try parse(["--method", "sum", "--coefficient", "-1", "--task-vector"]).options()
        #expect(negated.coefficient == -1 && negated.taskVectorOnly)
        // The reference's consensus with use_ties: loaded masks over the TIES base.
        #expect(throws: Never.self) { try parse(["--method", "consensus", "--masks", "m.npy", "--use-ties"]) }
    }

    @Test("what does not apply is refused by name, as the library refuses it", arguments: [
        (["--method", "sum", "--k", "20"], "--k applies to ties and mag-masking only, not sum"),
        (["--method", "consensus", "--agg", "sum"], "--agg applies to ties only, not consensus"),
        (["--method", "ties", "--prun-thre-k", "3"], "--prun-thre-k applies to consensus only, not ties"),
        (["--method", "mag-masking", "--use-ties"], "--use-ties applies to consensus only, not mag-masking"),
        (["--method", "average", "--masks", "m.npy"], "--masks applies to consensus only, not average"),
        (["--method", "consensus", "--masks", "m.npy", "--tall-lambda", "0.4"], "give either --masks or --tall-lambda, not both"),
        (["--method", "average", "--lines", "--beta", "1"], "--lines does not apply to average"),
        (["--method", "mag-masking", "--lines", "--beta", "1"], "--lines does not apply to mag-masking"),
        (["--method", "average", "--coefficient", "2"], "average uses λ = 1/T"),
        (["--method", "ties", "--k", "101"], "--k must be a percentage in (0, 100]"),
        (["--method", "ties", "--lines"], "--lines needs --beta"),
        (["--method", "ties", "--beta", "1"], "--alpha and --beta need --lines"),
        (["--method", "sum", "--trim", "per-tensor"], "--trim per-tensor applies to ties only"),
        (["--method", "nope"], "nope"),
    ])
    func refused(arguments: [String], expected: String) throws {
        let text = try refusal(arguments)
        #expect(text.contains(expected), "\(text)")
        #expect(!text.contains("\n"), "\(text)")
    }

    @Test("--help lists every registered method with its summary")
    func help() {
        let help = Merge.helpMessage()
        for m in MergeMethod.allCases {
            #expect(help.contains("  \(m.rawValue) "), "\(m.rawValue) missing from help")
            #expect(help.contains(String(m.info.summary.prefix(20))), "\(m.rawValue)'s summary missing")
        }
        #expect(help.contains("mag-masking") && help.contains("(no LiNeS)"))
    }
}
