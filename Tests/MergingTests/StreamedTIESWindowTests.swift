import Foundation
import Testing
import CMergeKernels
import Checkpoints
import Tensors
@testable import Merging
import TestSupport

/// The streamed TIES cut when a window of bins is estimated from the first chunk: the window pass
/// (``lines_window_select``) on every kernel set, and the bytes when the window holds the cut, misses
/// it, or overflows — each against the whole-tensor merge.
@Suite("streamed TIES: the window pass and its fallbacks")
struct StreamedTIESWindowTests {
    /// The window pass one entry at a time.
    static func reference(_ row: [Float], lo: UInt32, hi: UInt32) -> (kept: [UInt32], above: Int) {
        var kept: [UInt32] = [], above = 0
        for x in row {
            let bits = x.bitPattern & 0x7FFF_FFFF, top = bits >> 16
            if top >= lo && top <= hi { kept.append(bits) } else if top > hi { above += 1 }
        }
        return (kept, above)
    }

    @Test("lines_window_select: the window's bits in order and the count above it, the same on every kernel set")
    func windowKernel() {
        var rng = SystemRandomNumberGenerator()
        // Values across a few octaves, both signs, the window's edge bins exactly, NaN, ±0 and ∞.
        var row = (0..<1000).map { _ in Float.random(in: -4...4, using: &rng) }
        let lo = Float(0.5).bitPattern >> 16, hi = Float(1.5).bitPattern >> 16
        row += [Float(bitPattern: lo << 16), Float(bitPattern: (hi << 16) | 0xFFFF), Float(bitPattern: (lo << 16) - 1),
                Float(bitPattern: (hi + 1) << 16), -Float(bitPattern: lo << 16), .nan, .infinity, -0.0, 0]
        for count in [0, 1, 15, 16, 17, 100, row.count] {
            let slice = Array(row[0..<count])
            let want = Self.reference(slice, lo: lo, hi: hi)
            for level in 0...Int(lines_merge_kernels_supported()) {
                var kept = [UInt32](repeating: 0xDEAD, count: count + 16)
                var above: Int64 = 5
                let n = slice.withUnsafeBufferPointer { r in
                    kept.withUnsafeMutableBufferPointer { k in
                        Int(lines_window_select_at(Int32(level), r.baseAddress ?? UnsafePointer(bitPattern: 16)!, Int64(count), lo, hi, k.baseAddress!, &above))
                    }
                }
                #expect(Array(kept[0..<n]) == want.kept, "level \(level), \(count) values")
                #expect(Int(above) == 5 + want.above, "level \(level), \(count) values: the count is added to")
            }
        }
    }

    @Test("countDiffering: IEEE inequality (NaN differs, −0 equals +0), lanes and tail")
    func countDiffering() {
        let a: [Float] = [1, 2, .nan, -0.0, 5, 6, 7, 8, 9, 10, .nan]
        let b: [Float] = [1, 3, .nan, 0, 5, 6, 7, 9, 9, 11, 1]
        for count in 0...a.count {
            let want = (0..<count).filter { a[$0] != b[$0] }.count
            let got = a.withUnsafeBufferPointer { p in b.withUnsafeBufferPointer { _Lane.countDiffering(p.baseAddress!, $0.baseAddress!, count: count) } }
            #expect(got == want, "\(count) values")
        }
    }

    @Test("DARE's L1 lanes: drawn in place equal kept by a mask, whole or in chunks at any offset")
    func laneL1() {
        var rng = SystemRandomNumberGenerator()
        let n = 1003
        let tau = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) } + [-.infinity]
        let uniforms = (0..<(n + 1)).map { _ in Float.random(in: 0..<1, using: &rng) }
        let p: Float = 0.3
        let keep = uniforms.map { $0 < p }
        var whole = _LaneL1()
        tau.withUnsafeBufferPointer { t in keep.withUnsafeBufferPointer { whole.add(t.baseAddress!, keep: $0.baseAddress!, start: 0, count: t.count) } }
        // One lane at a time, in index order.
        var lanes = [Double](repeating: 0, count: 8), kept = [Double](repeating: 0, count: 8)
        for j in tau.indices { lanes[j & 7] += Double(abs(tau[j])); kept[j & 7] += keep[j] ? Double(abs(tau[j])) : 0 }
        #expect(whole.before == SIMD8(lanes) && whole.after == SIMD8(kept))
        for chunk in [1, 5, 8, 37, 512] {
            var drawn = _LaneL1()
            var s = 0
            while s < tau.count {
                let c = min(chunk, tau.count - s)
                tau.withUnsafeBufferPointer { t in uniforms.withUnsafeBufferPointer { u in
                    drawn.add(t.baseAddress! + s, uniforms: u.baseAddress! + s, below: p, start: s, count: c)
                } }
                s += c
            }
            #expect(drawn.before == whole.before && drawn.after == whole.after, "chunks of \(chunk)")
        }
    }

    /// A seeded generator, so that which window holds its cut does not vary between runs.
    struct Seeded: RandomNumberGenerator {
        var random = SeededRandom(seed: 11)
        mutating func next() -> UInt64 { random.next() }
    }

    /// A TIES merge of `models` onto `base` (one 1-D tensor each), streamed in chunks of 1024 and whole.
    func tiesBytes(base: [Float], models: [[Float]], density: Double) throws -> (streamed: Data, whole: Data) {
        let dir = try temporaryFolder("ties-window")
        let b = try writeModel(dir.appendingPathComponent("base.safetensors"), ["w": base])
        var yaml = "merge_method: ties\nbase_model: \(b.path)\nmodels:\n"
        for (i, m) in models.enumerated() {
            let u = try writeModel(dir.appendingPathComponent("m\(i).safetensors"), ["w": m])
            yaml += "  - {model: \(u.path), parameters: {weight: 0.5, density: \(density)}}\n"
        }
        let config = try MergekitConfig(yaml: yaml, file: "ties.yml")
        func run(_ chunk: Int?) throws -> Data {
            var o = MergekitMerger.Options()
            o.chunkSize = chunk
            let out = dir.appendingPathComponent("out-\(chunk ?? 0).safetensors")
            _ = try MergekitMerger.merge(config, file: "ties.yml", options: o, to: out)
            return try Data(contentsOf: out)
        }
        return (try run(1024), try run(nil))
    }

    @Test("the window holds the cut, misses it (a first chunk unlike the rest), or overflows (equal magnitudes): the whole-tensor bytes")
    func windowOutcomes() throws {
        var rng = Seeded()
        let n = 1 << 14
        let base = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        func model(_ delta: (Int) -> Float) -> [Float] { (0..<n).map { base[$0] + delta($0) } }
        let gaussian = model { _ in Float.random(in: -0.01...0.01, using: &rng) }
        // First chunk 1000× smaller than the rest: the estimated window lies far below the cut.
        let skewed = model { j in Float.random(in: -0.01...0.01, using: &rng) * (j < 1024 ? 0.001 : 1) }
        // Every |δ| equal: more than n/8 entries in the window, which is dropped during the pass.
        let equal = model { j in j % 2 == 0 ? 0.0078125 : -0.0078125 }
        let before = _StreamedTaskArithmetic.windowOutcomes.value
        for (name, models) in [("hit", [gaussian, gaussian.map { $0 * 1.0001 }]), ("miss", [skewed]), ("overflow", [equal, gaussian])] {
            let (streamed, whole) = try tiesBytes(base: base, models: models, density: 0.3)
            #expect(streamed == whole, "\(name)")
        }
        let after = _StreamedTaskArithmetic.windowOutcomes.value
        #expect(after.hits > before.hits && after.misses > before.misses)
    }
}
