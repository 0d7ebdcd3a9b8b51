import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// Hand-checked cases of the reference's exact semantics.
@Suite("merge semantics")
struct SemanticsTests {
    /// θ0 = 0 on one key `w` (plus a block key so LiNeS has a layer map), θ_t = τ_t.
    func tiny(_ taus: [[Float]], dtype: DType = .f32) throws -> (MergeInputs, URL) {
        let dir = try temporaryFolder("merge")
        let n = taus[0].count
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["w": [Float](repeating: 0, count: n)], dtype: dtype)
        var tasks: [TaskCheckpoint] = []
        for (t, tau) in taus.enumerated() {
            let u = try writeModel(dir.appendingPathComponent("t\(t).safetensors"), ["w": tau], dtype: dtype)
            tasks.append(TaskCheckpoint(name: "t\(t)", url: u))
        }
        return (try MergeInputs(pretrained: p, finetuned: tasks), dir)
    }

    func merged(_ taus: [[Float]], _ configure: (inout MergeOptions) -> Void, method: MergeMethod = .ties) throws -> ([Float], MergeReport) {
        let (inputs, dir) = try tiny(taus)
        var options = MergeOptions(method: method)
        configure(&options)
        let out = dir.appendingPathComponent("out.safetensors")
        let report = try Merger.merge(inputs, options: options, to: out)
        return (try SafetensorsFile(url: out).readFloat("w").scalars, report)
    }

    @Test("LiNeS λ for γ = 0.1 and L = 12 is the list of spec §1.2")
    func editingLambdas() {
        let s = LinesSchedule.editing(gamma: 0.1, layerCount: 12)
        let expected = [0.100, 0.182, 0.264, 0.345, 0.427, 0.509, 0.591, 0.673, 0.755, 0.836, 0.918, 1.000]
        for (a, b) in zip(s.blockLambdas, expected) { #expect(abs(a - b) < 5e-4) }
        #expect(s.blockLambdas.last == 1.0)
        #expect(s.alpha == 0.1)
    }

    @Test("Task Arithmetic + LiNeS: α = 1/T exactly", arguments: [1, 3, 4, 8])
    func taskArithmeticAlpha(T: Int) throws {
        #expect(LinesSchedule.mergingAlpha(normSummed: 123.456, normMerged: 123.456, taskCount: T) == 1 / Double(T))
        if T == 4 {
            var options = MergeOptions(method: .sum)
            options.lines = (nil, 0.5)
            let out = try temporaryFolder("merge").appendingPathComponent("o.safetensors")
            let report = try Merger.merge(try fixtureInputs(), options: options, to: out)
            #expect(report.schedule?.alpha == 0.25)
        }
    }

    @Test("the k-th magnitude is exact on adversarial values (signed zeros, subnormals, ties, neighbours)")
    func kthExact() {
        var values: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, 1, Float(1).nextUp, Float(1).nextDown,
                               -Float(1).nextDown, 3e38, -3e38, 1e-30, 65536, Float(65536).nextUp, 2.0, -2.0, 0.5, .leastNormalMagnitude]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { values.append(Float(bitPattern: UInt32.random(in: 0..<0x7F80_0000, using: &rng)) * (Bool.random() ? 1 : -1)) }
        let sorted = values.map(abs).sorted()
        for rank in [1, 2, 3, 5, 100, 1000, values.count - 1, values.count] {
            #expect(MagnitudeSelection.kthSmallestMagnitude(values, rank: rank) == sorted[rank - 1])
        }
        #expect(MagnitudeSelection.kthRank(count: 113_448_705, percent: 20) == 113_448_705 - 22_689_741)
        #expect(MagnitudeSelection.kthRank(count: 10, percent: 100) == 0)
    }

    @Test("TIES keeps values tied at the threshold (|x| ≥ k-th value)")
    func tiesAtThreshold() throws {
        // d = 5, k = 40 %: rank = 5 − int(2.0) = 3 → threshold = 3rd smallest |x| = 2; the two 2s and the 3 are kept.
        let (out, report) = try merged([[1, 2, -2, 3, 0.5]], { $0.k = 40; $0.aggregation = .sum })
        #expect(report.thresholds == [2])
        #expect(out == [0, 2, -2, 3, 0])
    }

    @Test("zero trimmed sum falls back to the global majority sign (counted over all parameters)")
    func zeroSumMajority() throws {
        // Column 0: +1 and −1 sum to 0 → majority. Columns 1–3 elect −, −, + → majority −1.
        // mean over entries agreeing with − at column 0: −1 / 1.
        let taus: [[Float]] = [[1, -2, -3, 4], [-1, -1, -1, 1]]
        let (mean, report) = try merged(taus, { $0.k = 100; $0.aggregation = .mean })
        #expect(report.majoritySign == -1)
        #expect(mean == [-1, -1.5, -2, 2.5])
        let (sum, _) = try merged(taus, { $0.k = 100; $0.aggregation = .sum })
        #expect(sum == [-1, -3, -4, 5])
        let (mx, _) = try merged(taus, { $0.k = 100; $0.aggregation = .max })
        #expect(mx == [-1, -2, -3, 4])
    }

    @Test("all-zero majority: torch.where(sign > 0, x > 0, x < 0) selects negatives where the sign is 0")
    func zeroMajority() throws {
        // Signs: col0 sums to 0, col1 +, col2 −: Σ signs = 0, so the majority is 0 too.
        let taus: [[Float]] = [[1, 1, -1], [-1, 0, 0]]
        let (sum, report) = try merged(taus, { $0.k = 100; $0.aggregation = .sum })
        #expect(report.majoritySign == 0)
        #expect(sum == [-1, 1, -1])
        let (mx, _) = try merged(taus, { $0.k = 100; $0.aggregation = .max })
        #expect(mx == [0, 1, -1])
    }

    @Test("mean divides by the agreeing count clamped to 1; k = 100 trims nothing")
    func meanClamp() throws {
        let (out, report) = try merged([[0, 2, -4], [0, 4, 2]], { $0.k = 100 })
        #expect(report.thresholds == [0, 0])
        #expect(out == [0, 3, -4])
    }

    @Test("T = 1: TIES with k = 100 and sum both return τ")
    func singleTask() throws {
        let tau: [Float] = [0.5, -0.25, 0, 3]
        let (ties, _) = try merged([tau], { $0.k = 100 })
        let (sum, _) = try merged([tau], { _ in }, method: .sum)
        #expect(ties == tau)
        #expect(sum == tau)
    }

    @Test("empty TALL masks give τ_MTL = 0, so θ = θ0; LiNeS α falls back to 1/T instead of the reference's 0/0")
    func emptyMasks() throws {
        let (inputs, dir) = try tiny([[1, 2, 3], [3, 2, 1]])
        var options = MergeOptions(method: .consensus)
        options.masks = TallMasks(tasks: ["t0", "t1"], packed: [[0], [0]])
        let out = dir.appendingPathComponent("o.safetensors")
        let report = try Merger.merge(inputs, options: options, to: out)
        #expect(try SafetensorsFile(url: out).readFloat("w").scalars == [0, 0, 0])
        #expect(report.consensusFraction == 0)
        #expect(LinesSchedule.mergingAlpha(normSummed: 5, normMerged: 0, taskCount: 2) == 0.5)
    }

    @Test("packed mask bits are big-endian (np.packbits): element 0 is the MSB of byte 0")
    func packbitsOrder() {
        let packed = TallMasks.pack([true, false, false, false, false, false, false, true, true])
        #expect(packed == [0x81, 0x80])
        let m = TallMasks(tasks: ["a"], packed: [packed])
        #expect(m.isOn(task: 0, at: 0) && m.isOn(task: 0, at: 7) && m.isOn(task: 0, at: 8) && !m.isOn(task: 0, at: 1))
        #expect(m.onCount(task: 0, parameters: 9) == 3)
    }

    @Test("reference bug (§7.2-style): the reference reads k ≤ 1 as a fraction (`if K > 1: K /= 100`); we always read a percentage")
    func kIsAlwaysPercent() {
        #expect(MagnitudeSelection.kthRank(count: 1000, percent: 1) == 990)
        #expect(MagnitudeSelection.kthRank(count: 1000, percent: 0.5) == 995)
    }

    @Test("task names follow the reference layout or NAME=PATH")
    func taskNames() {
        #expect(TaskCheckpoint(argument: "/m/ViT-B-32/EuroSATVal/nonlinear_finetuned.pt").name == "EuroSAT")
        #expect(TaskCheckpoint(argument: "Cars=/x/y.safetensors").name == "Cars")
        #expect(TaskCheckpoint(argument: "Cars=/x/y.safetensors").url.path == "/x/y.safetensors")
        #expect(TaskCheckpoint(argument: "dtd.safetensors").name == "dtd")
    }

    @Test("BF16 checkpoints merge in float32 and are written back as BF16")
    func bf16() throws {
        let (inputs, dir) = try tiny([[1, 2], [3, 4]], dtype: .bf16)
        let out = dir.appendingPathComponent("o.safetensors")
        _ = try Merger.merge(inputs, options: MergeOptions(method: .sum), to: out)
        let r = try SafetensorsFile(url: out)
        #expect(r.tensors[0].dtype == .bf16)
        #expect(try r.readFloat("w").scalars == [4, 6])
    }
}
