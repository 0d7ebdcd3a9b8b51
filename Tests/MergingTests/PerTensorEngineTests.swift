import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// The per-tensor engine's gathering: Iso-C gets Σ_t τ_t gathered in place of every τ_t, tensors
/// equal in every task are recognized as zero, and the lane helpers it uses.
@Suite("per-tensor engine: gathering the sum, zero tensors, lane helpers")
struct PerTensorEngineTests {
    /// Iso-C through the default `merge(_:taskCount:…)` (every τ_t gathered, then summed), to set
    /// against the engine's summed gathering.
    struct AllTaus: TaskVectorTensorMerge {
        func merge(_ taus: UnsafeBufferPointer<Float>, taskCount: Int, name: String, shape: [Int], seed: UInt64) throws(MergeError) -> [Float] {
            try IsoCMerge().merge(summed: TaskVectorMatrices.sum(taus, taskCount: taskCount), taskCount: taskCount,
                                  name: name, shape: shape, seed: seed)
        }
    }

    func write(_ method: any TaskVectorTensorMerge, _ inputs: MergeInputs, taskVectorOnly: Bool, lambda: Float) throws -> (Data, _Engine.PerTensorStats) {
        let out = try temporaryFolder("per-tensor").appendingPathComponent("out.safetensors")
        let stats = try _Engine(inputs: inputs, progress: nil)
            .writePerTensor(method, seed: 0, to: out, taskVectorOnly: taskVectorOnly) { _ in (lambda, nil) }
        return (try Data(contentsOf: out), stats)
    }

    @Test("Iso-C's summed gathering writes the bytes of gathering every τ_t, on the fixtures and with −0 entries",
          arguments: [true, false])
    func summedGathering(taskVectorOnly: Bool) throws {
        #expect(IsoCMerge() is any SummedTaskVectorTensorMerge)
        #expect(!(AllTaus() is any SummedTaskVectorTensorMerge))
        for lambda: Float in [0.5, -1] {
            let fixtures = try fixtureInputs()
            let (a, sa) = try write(IsoCMerge(), fixtures, taskVectorOnly: taskVectorOnly, lambda: lambda)
            let (b, sb) = try write(AllTaus(), fixtures, taskVectorOnly: taskVectorOnly, lambda: lambda)
            #expect(a == b)
            #expect(sa.normSummed == sb.normSummed && sa.normMerged == sb.normMerged && sa.nonZero == sb.nonZero)
        }
        // τ = −0 − (+0) = −0 in both tasks: Python's sum (0 + τ_0 + τ_1) gives +0 (τ_0 + τ_1 would
        // give −0), and the bias is
        // gathered (its other entry differs) but not the all-equal `frozen`, which merges to 0.
        let dir = try temporaryFolder("per-tensor-zeros")
        let base = try writeModel(dir.appendingPathComponent("base.safetensors"), ["bias": [0, 1, 2], "frozen": [0, -0.0, 3]])
        let t0 = try writeModel(dir.appendingPathComponent("t0.safetensors"), ["bias": [-0.0, 1.5, 2], "frozen": [-0.0, 0, 3]])
        let t1 = try writeModel(dir.appendingPathComponent("t1.safetensors"), ["bias": [-0.0, 1, 2.25], "frozen": [0, -0.0, 3]])
        let inputs = try MergeInputs(pretrained: base, finetuned: [TaskCheckpoint(name: "a", url: t0), TaskCheckpoint(name: "b", url: t1)])
        let (a, sa) = try write(IsoCMerge(), inputs, taskVectorOnly: taskVectorOnly, lambda: -1)
        let (b, _) = try write(AllTaus(), inputs, taskVectorOnly: taskVectorOnly, lambda: -1)
        #expect(a == b)
        #expect(sa.normSummed == 0.75)
        let out = try temporaryFolder("per-tensor-read").appendingPathComponent("out.safetensors")
        try a.write(to: out)
        let bias = try Checkpoint.open(out).readFloat("bias").scalars
        // (0 + (−0) + (−0)) / 2 · (−1) = −0 for the task vector; +0 + (−0) = +0 on θ0.
        #expect(bias[0].sign == (taskVectorOnly ? .minus : .plus) && bias[0] == 0)
        #expect(bias[1] == (taskVectorOnly ? -0.25 : 0.75))
    }

    @Test("differ: IEEE inequality (NaN differs, −0 equals +0) at every position of blocks and tails")
    func differ() {
        for count in [0, 1, 7, 8, 63, 64, 65, 200] {
            let a = (0..<count).map { Float($0) }
            let same = a + [1], other = a + [2]
            // Equal within `count` (the entry after it differs and is not read).
            #expect(!same.withUnsafeBufferPointer { p in other.withUnsafeBufferPointer { _Lane.differ(p.baseAddress!, $0.baseAddress!, count: count) } })
            for j in 0..<count {
                for (x, differs) in [(Float(j) + 1, true), (Float.nan, true), (j == 0 ? -0.0 : Float(j), false)] {
                    var b = a
                    b[j] = x
                    let got = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { _Lane.differ(pa.baseAddress!, $0.baseAddress!, count: count) } }
                    #expect(got == differs, "count \(count), position \(j), value \(x)")
                }
            }
        }
    }

    @Test("l1: Σ|x| in eight lanes equals the in-order sum within double rounding, tails and empty included")
    func l1() {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 5, 8, 9, 1000, 4099] {
            let x = (0..<count).map { _ in Float.random(in: -3...3, using: &rng) }
            let ordered = x.reduce(0.0) { $0 + Double(abs($1)) }
            let lanes = x.withUnsafeBufferPointer { _Lane.l1($0) }
            #expect(abs(lanes - ordered) <= 1e-12 * max(ordered, 1), "count \(count)")
        }
        #expect([Float(-2), -0.0, .infinity].withUnsafeBufferPointer { _Lane.l1($0) } == .infinity)
        #expect([Float(-2), .nan].withUnsafeBufferPointer { _Lane.l1($0) }.isNaN)
    }
}
