import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

@Suite("sampled k-th value selection")
struct ThresholdSelectionTests {
    @Test("kthSmallestBits is exact, with ties and extreme bit patterns")
    func kthSmallestBits() {
        var rng = SystemRandomNumberGenerator()
        var values: [UInt32] = [0, 0, 1, 0xFFFF, 0x10000, 0x7F80_0000, 0x7FC0_0000, 0xFFFF_FFFF, 0x3F80_0000, 0x3F80_0000]
        for _ in 0..<5000 { values.append(UInt32.random(in: 0x3F00_0000..<0x3F02_0000, using: &rng)) }
        let sorted = values.sorted()
        for rank in [1, 2, 3, 10, 2500, values.count - 1, values.count] {
            let r = values.withUnsafeBufferPointer { _Engine.kthSmallestBits($0, rank: rank) }
            #expect(r.value == sorted[rank - 1])
            #expect(r.smaller == sorted.firstIndex(of: sorted[rank - 1])!)
        }
        let ranks = [1, 3, 2500, 2501, values.count, 2500]
        #expect(values.withUnsafeBufferPointer { _Engine.kthSmallestBits($0, ranks: ranks) } == ranks.map { sorted[$0 - 1] })
        let half = values.count / 2
        let split = values.withUnsafeBufferPointer { a in
            _Engine.kthSmallestBits([UnsafeBufferPointer(rebasing: a[..<half]), UnsafeBufferPointer(rebasing: a[half...])], rank: 2500)
        }
        #expect(split.value == sorted[2499] && split.smaller == sorted.firstIndex(of: sorted[2499])!)
    }

    /// θ0 = 0 and two tasks over two tensors of `n` values; with `biased`, the sampled first
    /// 1/64 of every chunk holds far smaller |τ| than the rest, so the sample's window misses.
    func inputs(n: Int, biased: Bool) throws -> MergeInputs {
        let dir = try temporaryFolder("merge")
        var rng = SystemRandomNumberGenerator()
        func tau(_ scale: Float) -> [Float] {
            (0..<n).map { i in
                let x = Float.random(in: -1...1, using: &rng) * scale
                return biased && i % (1 << 20) < 2 * (n / 64 + 1) ? x * 1e-3 : x
            }
        }
        try writeModel(dir.appendingPathComponent("p.safetensors"), ["a": [Float](repeating: 0, count: n), "b": [Float](repeating: 0, count: n)])
        var tasks: [TaskCheckpoint] = []
        for (t, s) in [Float(1), 3].enumerated() {
            let url = try writeModel(dir.appendingPathComponent("t\(t).safetensors"), ["a": tau(s), "b": tau(s)])
            tasks.append(TaskCheckpoint(name: "t\(t)", url: url))
        }
        return try MergeInputs(pretrained: dir.appendingPathComponent("p.safetensors"), finetuned: tasks)
    }

    @Test("the sampled selection equals the two-histogram selection, or declines", arguments: [false, true])
    func sampledEqualsHistograms(biased: Bool) throws {
        let inputs = try inputs(n: 300_000, biased: biased)
        let engine = _Engine(inputs: inputs, progress: nil)
        for k in [1.0, 20, 50, 99] {
            let rank = MagnitudeSelection.kthRank(count: inputs.parameterCount, percent: k)
            let exact = try engine.selectThresholdsByHistograms(percent: k, rank: rank, normSummed: true)
            let sampled = try engine.selectThresholdsBySample(percent: k, rank: rank, normSummed: true)
            if biased {
                // Below the tiny sampled window sit only the 3 % tiny values; rank ≥ 50 % of d.
                if k <= 50 { #expect(sampled == nil) }
            } else {
                let s = try #require(sampled)
                #expect(s.kth == exact.kth)
                #expect(s.kept == exact.kept)
            }
            let chosen = try engine.selectThresholds(percent: k, normSummed: true)
            #expect(chosen.kth == exact.kth)
            #expect(chosen.kept == exact.kept)
        }
    }
}
