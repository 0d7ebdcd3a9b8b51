import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// DARE and Model Breadcrumbs on the reference's checkpoints: their masks come from the mergekit
/// path's kernels (``Sparsify``, tested for parity with mergekit), so these tests pin what the
/// CLIP path adds: the 1/(1 − p) rescale, the seed, the band, the sum over tasks.
@Suite("DARE and Breadcrumbs (task-vector path)")
struct SparsifiedMethodsTests {
    func taskVectors(_ inputs: MergeInputs, _ name: String) throws -> [[Float]] {
        let b = try inputs.pretrained.readFloat(name).scalars
        return try inputs.finetuned.map { f in zip(try f.readFloat(name).scalars, b).map { $0 - $1 } }
    }

    @Test("DARE: each kept entry is τ_t/(1−p), the kept share is 1−p, τ_MTL is their sum; the seed fixes the bits")
    func dare() throws {
        let inputs = try fixtureInputs()
        let merge = SparsifiedSumMerge(rule: .dare(dropRate: 0.7))
        var kept = 0, total = 0
        for info in inputs.tensors where info.name.contains("visual.transformer") {
            let taus = try taskVectors(inputs, info.name)
            let flat = taus.flatMap { $0 }
            let seed = _Engine.tensorSeed(42, name: info.name)
            let out = try flat.withUnsafeBufferPointer { try merge.merge($0, taskCount: 4, name: info.name, shape: info.shape, seed: seed) }
            let again = try flat.withUnsafeBufferPointer { try merge.merge($0, taskCount: 4, name: info.name, shape: info.shape, seed: seed) }
            #expect(out == again)
            let other = try flat.withUnsafeBufferPointer { try merge.merge($0, taskCount: 4, name: info.name, shape: info.shape, seed: seed &+ 1) }
            #expect(out != other)
            // Task by task, from the same streams: the drop pattern the sum is made of.
            for t in 0..<4 {
                let one = try taus[t].withUnsafeBufferPointer { p -> [Float] in
                    // Task t's stream is stream t: merge a single task placed at index t.
                    var padded = [Float](repeating: 0, count: 4 * p.count)
                    for j in 0..<p.count { padded[t * p.count + j] = p[j] }
                    return try padded.withUnsafeBufferPointer { try merge.merge($0, taskCount: 4, name: info.name, shape: info.shape, seed: seed) }
                }
                for (x, tau) in zip(one, taus[t]) where tau != 0 {
                    total += 1
                    if x != 0 { kept += 1; #expect(x == tau * Float(1 / 0.3)) }
                }
            }
        }
        let share = Double(kept) / Double(total)
        #expect(abs(share - 0.3) < 0.03, "kept \(share) of the entries, expected 0.3")
    }

    @Test("Breadcrumbs: per tensor and task, exactly the band below the largest gamma share is kept (ties: lower index first)")
    func breadcrumbs() throws {
        let inputs = try fixtureInputs()
        let merge = SparsifiedSumMerge(rule: .breadcrumbs(density: 0.5, gamma: 0.1))
        for info in inputs.tensors where info.name.hasSuffix("c_fc.weight") || info.name.hasSuffix("in_proj_weight") {
            let taus = try taskVectors(inputs, info.name)
            let n = info.count
            var sum = [Float](repeating: 0, count: n)
            for tau in taus {
                // The band by sorting (|τ|, index) ascending: drop the int(0.1 n) largest and the
                // smallest n − int(0.5 n) − int(0.1 n).
                let order = (0..<n).sorted { (abs(tau[$0]), $0) < (abs(tau[$1]), $1) }
                let top = Int(0.1 * Double(n)), target = Int(0.5 * Double(n)), bottom = n - target - top
                for i in order[bottom..<(bottom + target)] { sum[i] += tau[i] }
            }
            let flat = taus.flatMap { $0 }
            let out = try flat.withUnsafeBufferPointer { try merge.merge($0, taskCount: 4, name: info.name, shape: info.shape, seed: 0) }
            #expect(out == sum, "\(info.name): max difference \(maxDifference(out, sum))")
        }
    }

    @Test("bad parameters are refused by name")
    func badInput() {
        var d = MergeOptions(method: .dare)
        d.dropRate = 1
        #expect(throws: MergeError.self) { try d.validate(taskCount: 2) }
        var b = MergeOptions(method: .breadcrumbs)
        b.density = 0.95
        b.gamma = 0.1
        do { try b.validate(taskCount: 2); Issue.record("density + gamma > 1 accepted") } catch {
            #expect("\(error)".contains("exceeds 1"))
        }
        var s = MergeOptions(method: .sum)
        s.seed = 3
        #expect(throws: MergeError.self) { try s.validate(taskCount: 2) }
    }
}
