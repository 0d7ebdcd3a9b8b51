import Foundation
import Testing
import Checkpoints
@testable import Merging
import TestSupport

/// Parity with `Scripts/reference_merge.py` (the reference's flattened PyTorch algorithms) on the
/// tiny open_clip fixtures: max |ours − reference| ≤ 1e-6 · max|τ| on the written task vectors.
@Suite("parity with the PyTorch reference")
struct ParityTests {
    static let cases: [(String, (inout MergeOptions) -> Void)] = [
        ("sum", { $0.coefficient = 0.3 }),
        ("sum_lines", { $0.lines = (nil, 0.5) }),
        ("average", { _ in }),
        ("ties_mean", { $0.k = 20; $0.aggregation = .mean }),
        ("ties_sum", { $0.k = 20; $0.aggregation = .sum }),
        ("ties_max", { $0.k = 20; $0.aggregation = .max }),
        ("ties_k100", { $0.k = 100 }),
        ("ties_lines", { $0.k = 20; $0.lines = (nil, 1.0) }),
        ("consensus", { $0.tallLambdas = [0.4]; $0.prunThreK = 2; $0.coefficient = 0.7 }),
        ("consensus_lines", { $0.tallLambdas = [0.4]; $0.lines = (nil, 0.6) }),
        ("consensus_ties_lines", { $0.useTies = true; $0.tallLambdas = [0.3]; $0.lines = (nil, 0.6) }),
        ("consensus_masks", { $0.prunThreK = 1 }),
    ]

    static func method(_ name: String) -> MergeMethod {
        if name.hasPrefix("sum") { return .sum }
        if name.hasPrefix("average") { return .average }
        if name.hasPrefix("ties") { return .ties }
        return .consensus
    }

    @Test("merged task vectors match the reference", arguments: ParityTests.cases.map(\.0))
    func taskVectors(name: String) throws {
        let inputs = try fixtureInputs()
        var options = MergeOptions(method: ParityTests.method(name))
        ParityTests.cases.first { $0.0 == name }?.1(&options)
        options.taskVectorOnly = true
        if name == "consensus_masks" {
            options.masks = try TallMasks.read(expected("tall_masks.safetensors"))
        }
        let dir = try temporaryFolder("merge")
        let out = dir.appendingPathComponent("out.safetensors")
        let report = try Merger.merge(inputs, options: options, to: out)
        let tol = 1e-6 * (try fixtureMaxTau())
        let err = try maxAbsDifference(out, expected("\(name).safetensors"))
        #expect(err <= tol, "\(name): max abs error \(err) > \(tol)")
        let ref = try expectedReport(name)
        if let alpha = ref["alpha"] as? Double {
            // Both norms are float32 sums in the reference (torch's order), ours the float32
            // nearest the exact sums: within 2 ulps each, so α within 4 float32 ulps.
            #expect(abs((report.schedule?.alpha ?? .nan) - alpha) <= 4 * Double(Float.ulpOfOne) * alpha, "\(name): α \(report.schedule?.alpha ?? .nan) vs \(alpha)")
        }
        for (key, ours) in [("norm_summed", report.normSummed), ("norm_merged", report.normMerged)] {
            guard let theirs = ref[key] as? Double, let ours else { continue }
            let a = Float(ours), b = Float(theirs)
            let ulps = abs(Int64(a.bitPattern) - Int64(b.bitPattern))
            #expect(ulps <= 2, "\(name): \(key) \(a) vs torch's \(b): \(ulps) float32 ulps")
        }
        if let kth = ref["thresholds"] as? [Double] {
            #expect(report.thresholds.map(Double.init) == kth, "\(name): k-th values must be exact")
        }
        if let m = ref["majority_sign"] as? Double { #expect(Double(report.majoritySign ?? .nan) == m) }
        if let c = ref["consensus_fraction"] as? Double { #expect(abs((report.consensusFraction ?? -1) - c) < 1e-6) }
    }

    @Test("the full TIES+LiNeS model matches the reference within float32 rounding of θ0 + τ")
    func fullModel() throws {
        var options = MergeOptions(method: .ties)
        options.lines = (nil, 1.0)
        let out = try temporaryFolder("merge").appendingPathComponent("model.safetensors")
        _ = try Merger.merge(try fixtureInputs(), options: options, to: out)
        #expect(try maxAbsDifference(out, expected("ties_lines_model.safetensors")) <= 1e-6)
    }

    @Test("single-task editing with γ = 0.1 matches the reference")
    func edit() throws {
        let inputs = try fixtureInputs(tasks: ["EuroSAT"])
        let out = try temporaryFolder("merge").appendingPathComponent("edit.safetensors")
        let report = try Merger.edit(inputs, schedule: (0.1, 0.9), taskVectorOnly: true, to: out)
        #expect(report.schedule?.layerCount == 3)
        #expect(try maxAbsDifference(out, expected("edit_gamma0.1.safetensors")) <= 1e-6 * (try fixtureMaxTau()))
    }

    @Test("mag-masking writes one model per task matching the reference")
    func magMasking() throws {
        var options = MergeOptions(method: .magMasking)
        options.taskVectorOnly = true
        let dir = try temporaryFolder("merge")
        let report = try Merger.merge(try fixtureInputs(), options: options, to: dir)
        #expect(report.outputs.count == 4)
        let ref = try expectedReport("mag_masking")
        #expect(report.thresholds.map(Double.init) == (ref["thresholds"] as? [Double] ?? []))
        for t in fixtureTaskNames {
            let err = try maxAbsDifference(dir.appendingPathComponent("\(t).safetensors"), expected("mag_masking/\(t).safetensors"))
            #expect(err <= 1e-6 * (try fixtureMaxTau()))
        }
    }

    @Test("TALL masks are bit-identical to the reference's np.packbits", arguments: [false, true])
    func tallMasks(useTies: Bool) throws {
        let (masks, report) = try Merger.tallMasks(try fixtureInputs(), lambdas: useTies ? [0.2, 0.3, 0.5, 0.6] : [0.4], useTies: useTies)
        let ref = try TallMasks.read(expected(useTies ? "tall_masks_ties.safetensors" : "tall_masks.safetensors"))
        let aligned = try ref.aligned(to: fixtureTaskNames, parameters: 3189, file: "ref")
        #expect(masks == aligned)
        let fractions = (try expectedReport(useTies ? "tall_masks_ties" : "tall_masks"))["mask_fraction"] as? [Double] ?? []
        for (a, b) in zip(report.maskFraction, fractions) { #expect(abs(a - b) < 1e-6) }
        // Round trip through our own safetensors mask file.
        let url = try temporaryFolder("merge").appendingPathComponent("m.safetensors")
        try masks.write(to: url)
        #expect(try TallMasks.read(url) .aligned(to: fixtureTaskNames, parameters: 3189, file: url.path) == masks)
    }
}
