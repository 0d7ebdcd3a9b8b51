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
        add(tau, start: start, count: count, kept: { keep[$0] }) { j in
            // 0 or 1 per byte → 0 or all ones per 64-bit lane.
            0 &- SIMD8<Int64>(truncatingIfNeeded: UnsafeRawPointer(keep + j).loadUnaligned(as: SIMD8<UInt8>.self))
        }
    }

    /// Adds entries `start ..< start + count` (their values `tau`), kept where `uniforms` < `probability`
    /// (DARE's draws), without a mask in memory.
    mutating func add(_ tau: UnsafePointer<Float>, uniforms: UnsafePointer<Float>, below probability: Float, start: Int, count: Int) {
        let p = _F8(repeating: probability)
        add(tau, start: start, count: count, kept: { uniforms[$0] < probability }) { j in
            SIMD8<Int64>(truncatingIfNeeded: unsafeBitCast(_Lane.load(uniforms, j) .< p, to: _I8.self))
        }
    }

    /// The lanes' sums: the entries up to the next multiple of 8 one by one, then eight at a time
    /// (lane l gets entry j with (start + j) mod 8 = l, in index order, exactly as one by one),
    /// then the tail. `mask(j)` is all ones in the lanes of j..<j+8 that are kept, else 0.
    @inline(__always)
    private mutating func add(_ tau: UnsafePointer<Float>, start: Int, count: Int, kept: (Int) -> Bool, mask: (Int) -> SIMD8<Int64>) {
        var j = 0
        while j < count && (start + j) & 7 != 0 { one(tau[j], kept(j), lane: (start + j) & 7); j += 1 }
        var b = before, a = after
        while j + 8 <= count {
            // |x| (the sign bit cleared, as `abs`) widened exactly; kept lanes as x, the others +0.
            let x = SIMD8<Double>(_Lane.magnitude(_Lane.load(tau, j)))
            b += x
            a += unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & unsafeBitCast(mask(j), to: SIMD8<UInt64>.self), to: SIMD8<Double>.self)
            j += 8
        }
        before = b
        after = a
        while j < count { one(tau[j], kept(j), lane: (start + j) & 7); j += 1 }
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
