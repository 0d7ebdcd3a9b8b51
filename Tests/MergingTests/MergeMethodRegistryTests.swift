import Foundation
import Testing
@testable import Merging

/// The method registry: names, parameters and the checks derived from it.
@Suite("merge-method registry")
struct MergeMethodRegistryTests {
    @Test("every unit has a unique name and run name, found again by both")
    func names() {
        let methods = MergeMethod.allCases
        #expect(methods.map(\.rawValue) == ["sum", "average", "ties", "consensus", "mag-masking", "tsv", "iso-c", "iso-cts", "dare", "breadcrumbs"])
        #expect(Set(methods.map(\.rawValue)).count == methods.count)
        #expect(Set(methods.map(\.info.runName)).count == methods.count)
        for m in methods {
            #expect(MergeMethod(rawValue: m.rawValue) == m)
            #expect(MergeMethod(runName: m.info.runName) == m)
        }
        #expect(MergeMethod(rawValue: "tie") == nil)
        #expect(MergeMethod(runName: "mag-masking") == nil)
    }

    @Test("the reference's default k per method (spec §2.2)")
    func defaultK() {
        #expect(MergeMethod.ties.defaultK == 20)
        #expect(MergeMethod.magMasking.defaultK == 10)
        #expect(MergeMethod.sum.defaultK == 100 && MergeMethod.consensus.defaultK == 100)
    }

    @Test("a parameter of another method is refused, naming the methods that take it")
    func foreignParameters() {
        var o = MergeOptions(method: .sum)
        o.k = 30
        #expect(throws: MergeError.invalidOption("--k applies to ties and mag-masking only, not sum")) { try o.validate(taskCount: 2) }
        var a = MergeOptions(method: .ties)
        a.useTies = true
        #expect(throws: MergeError.invalidOption("--use-ties applies to consensus only, not ties")) { try a.validate(taskCount: 2) }
        var c = MergeOptions(method: .consensus)
        c.aggregation = .max
        #expect(throws: MergeError.invalidOption("--agg applies to ties only, not consensus (consensus with --use-ties always uses disjoint sum, as the reference)")) {
            try c.validate(taskCount: 2)
        }
        // Setting a parameter back to unset (k = nil, use-ties off) is not "given".
        o.k = nil
        #expect(throws: Never.self) { try o.validate(taskCount: 2) }
        a.useTies = false
        #expect(throws: Never.self) { try a.validate(taskCount: 2) }
    }

    @Test("LiNeS and λ follow each unit's info; masks and --tall-lambda exclude each other")
    func unitRules() {
        for m in MergeMethod.allCases {
            var o = MergeOptions(method: m)
            o.lines = (nil, 0.5)
            if m.info.linesApplies {
                #expect(throws: Never.self) { try o.validate(taskCount: 2) }
            } else {
                #expect(throws: MergeError.self) { try o.validate(taskCount: 2) }
            }
        }
        var avg = MergeOptions(method: .average)
        avg.coefficient = 0.5
        #expect(throws: MergeError.self) { try avg.validate(taskCount: 2) }
        var c = MergeOptions(method: .consensus)
        c.tallLambdas = [0.3]
        #expect(throws: MergeError.invalidOption("give either --masks or --tall-lambda, not both")) {
            try c.validate(taskCount: 2, alsoGiven: [MergeParameter.masks.name])
        }
        c.tallLambdas = [0.3, 0.4, 0.5]
        #expect(throws: MergeError.tallLambdaCount(given: 3, tasks: 2)) { try c.validate(taskCount: 2) }
        #expect(throws: Never.self) { try c.validate(taskCount: nil) }
    }

    @Test("each unit's recipe: the selection, the write, λ and the α rule")
    func recipes() {
        func recipe(_ m: MergeMethod, _ configure: (inout MergeOptions) -> Void = { _ in }) -> MergeRecipe {
            var o = MergeOptions(method: m)
            configure(&o)
            return MergeMethodRegistry.unit(for: m).recipe(o, taskCount: 4)
        }
        #expect(recipe(.average).coefficient == 0.25)
        #expect(recipe(.sum).alpha == .inverseTaskCount && recipe(.ties).alpha == .normRatio)
        if case let .ties(k, agg) = recipe(.ties, { $0.k = 30; $0.aggregation = .max }).selection { #expect(k == 30 && agg == .max) } else { Issue.record("ties selects") }
        if case let .ties(k, agg) = recipe(.consensus, { $0.useTies = true }).selection { #expect(k == 20 && agg == .sum) } else { Issue.record("consensus + TIES selects") }
        if case .none = recipe(.consensus).selection {} else { Issue.record("consensus alone selects nothing") }
        if case let .magnitude(k) = recipe(.magMasking).selection { #expect(k == 10) } else { Issue.record("mag-masking selects by magnitude") }
        if case .perTaskMasked = recipe(.magMasking).write {} else { Issue.record("mag-masking writes one model per task") }
        #expect(MergeMethod.magMasking.info.output == .modelPerTask)
    }
}
