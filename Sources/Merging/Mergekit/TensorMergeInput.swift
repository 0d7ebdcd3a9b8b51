import CMergeKernels
import Tensors

/// One tensor of every input of a per-tensor (mergekit-style) merge, in `Float`, with every
/// parameter already evaluated for this tensor.
public struct TensorMergeInput: Sendable {
    /// The tensor's name.
    public var name: String
    /// Its shape (the same in every input).
    public var shape: [Int]
    /// The base model's values, when the merge has a base.
    public var base: [Float]?
    /// The other models' values, in the config's order (the base excluded).
    public var models: [[Float]]
    /// Per model (same order): `weight`, `density`, `gamma`, `epsilon`, … with defaults filled in.
    public var modelParameters: [[String: Double]]
    /// Shared parameters: `lambda`, `normalize`, `rescale`, `t`, … (flags as 0 or 1).
    public var parameters: [String: Double]
    /// The seed of this tensor's random draws (the run's seed and the tensor's name), so random
    /// methods give the same bits whatever the order or thread the tensor is merged on.
    public var seed: UInt64

    public init(name: String, shape: [Int], base: [Float]?, models: [[Float]], modelParameters: [[String: Double]],
                parameters: [String: Double], seed: UInt64) {
        self.name = name
        self.shape = shape
        self.base = base
        self.models = models
        self.modelParameters = modelParameters
        self.parameters = parameters
        self.seed = seed
    }

    /// A shared flag (`normalize`, `rescale`, …).
    public func flag(_ key: String) -> Bool { (parameters[key] ?? 0) != 0 }

    /// Model `i`'s parameter `key` (its default is filled in by the merger).
    public func parameter(_ key: String, model i: Int) -> Double { modelParameters[i][key] ?? 0 }
}

/// The random stream of one tensor and model (``SeededRandom`` keyed by the tensor's seed and the
/// model's index), uniform in [0, 1) with 24 bits (exact in `Float`).
struct _TensorRandom {
    private var generator: SeededRandom

    init(seed: UInt64, stream: Int) {
        generator = SeededRandom(seed: seed, stream)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Float { Float(generator.next() >> 40) * 0x1p-24 }

    /// The next `count` of ``uniform()`` into `out`, computed as a block (C, vectorized).
    mutating func uniforms(_ out: UnsafeMutablePointer<Float>, count: Int) {
        lines_splitmix_uniforms(generator.counter, out, Int64(count))
        generator.skip(count)
    }
}

/// The L1 norms DARE rescales by, of τ and of τ ⊙ mask, summed in `Double` in eight lanes (entry
/// i in lane i mod 8, in index order) and the lanes added pairwise: the same sums whether a
/// tensor is taken whole or in chunks, eight entries at a time.
struct _LaneL1 {
    var before = SIMD8<Double>(), after = SIMD8<Double>()

    /// Adds entries `start ..< start + count` (their values `tau`, kept where `keep`).
    mutating func add(_ tau: UnsafePointer<Float>, keep: UnsafePointer<Bool>, start: Int, count: Int) {
        var j = 0
        while j < count && (start + j) & 7 != 0 { one(tau[j], keep[j], lane: (start + j) & 7); j += 1 }
        // Sixteen scalar accumulators (lane l in b_l, a_l), eight entries per step.
        var b0 = before[0], b1 = before[1], b2 = before[2], b3 = before[3], b4 = before[4], b5 = before[5], b6 = before[6], b7 = before[7]
        var a0 = after[0], a1 = after[1], a2 = after[2], a3 = after[3], a4 = after[4], a5 = after[5], a6 = after[6], a7 = after[7]
        @inline(__always) func x(_ i: Int) -> Double { Double(abs(tau[i])) }
        @inline(__always) func k(_ i: Int, _ v: Double) -> Double { keep[i] ? v : 0 }
        while j + 8 <= count {
            let x0 = x(j), x1 = x(j + 1), x2 = x(j + 2), x3 = x(j + 3), x4 = x(j + 4), x5 = x(j + 5), x6 = x(j + 6), x7 = x(j + 7)
            b0 += x0; b1 += x1; b2 += x2; b3 += x3; b4 += x4; b5 += x5; b6 += x6; b7 += x7
            a0 += k(j, x0); a1 += k(j + 1, x1); a2 += k(j + 2, x2); a3 += k(j + 3, x3)
            a4 += k(j + 4, x4); a5 += k(j + 5, x5); a6 += k(j + 6, x6); a7 += k(j + 7, x7)
            j += 8
        }
        before = SIMD8(b0, b1, b2, b3, b4, b5, b6, b7)
        after = SIMD8(a0, a1, a2, a3, a4, a5, a6, a7)
        while j < count { one(tau[j], keep[j], lane: (start + j) & 7); j += 1 }
    }

    private mutating func one(_ t: Float, _ kept: Bool, lane: Int) {
        let x = Double(abs(t))
        before[lane] += x
        after[lane] += kept ? x : 0
    }

    /// ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
    static func total(_ v: SIMD8<Double>) -> Double { ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])) }

    /// mergekit's L1 rescale factor (eps 1e-7), nil when either norm is below it.
    var scale: Float? {
        let b = Float(Self.total(before)), a = Float(Self.total(after))
        return b >= 1e-7 && a >= 1e-7 ? b / a : nil
    }
}
