import Foundation

/// A small, splittable, seeded random generator (SplitMix64) for initialisation, shuffling and
/// crops.
///
/// Every random choice of a run is drawn from a generator keyed by `(seed, purpose, index…)`
/// rather than from one stream, so the state of a run is its step count alone: a resumed run
/// draws exactly what an uninterrupted one would.
public struct SeededRandom: Sendable {
    private var state: UInt64

    /// A generator for `seed`, optionally keyed by further integers (epoch, sample position…).
    public init(seed: UInt64, _ keys: Int...) {
        var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03
        for k in keys { s = SeededRandom.mix(s ^ UInt64(bitPattern: Int64(k)) &+ 0x9E37_79B9_7F4A_7C15) }
        state = s
    }

    private static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRandom.mix(state)
    }

    /// The counter: draw k from here mixes `counter + k·γ` (SplitMix64), so blocks of draws can
    /// be computed elsewhere without a dependency between them, then ``skip(_:)``ped.
    public var counter: UInt64 { state }

    /// Moves past `count` draws, as `count` calls of ``next()`` would.
    public mutating func skip(_ count: Int) {
        state = state &+ UInt64(count) &* 0x9E37_79B9_7F4A_7C15
    }

    /// A uniform double in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform double in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// A uniform integer in `0..<n` (`n > 0`).
    public mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }

    /// A standard normal draw (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 0x1p-60), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) }
        return p
    }
}
