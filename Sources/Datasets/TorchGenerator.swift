/// PyTorch's CPU random generator (`torch.Generator().manual_seed(s)`): a 32-bit Mersenne
/// Twister (MT19937) seeded the way `at::mt19937` seeds it.
///
/// Only what the reference's data splits need is implemented: `random()` (one 32-bit draw) and
/// ``randperm(_:)``, which reproduces `torch.randperm(n, generator=g)` exactly for
/// n < 2³²/20 (Fisher–Yates with `random() % (n − i)`).
public struct TorchGenerator: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// A generator in the state of `torch.Generator().manual_seed(seed)`.
    public init(seed: UInt64) {
        state[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            let prev = state[i - 1]
            state[i] = 1_812_433_253 &* (prev ^ (prev >> 30)) &+ UInt32(i)
        }
    }

    /// The next 32-bit draw (`CPUGeneratorImpl::random()`).
    public mutating func random() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
        }
        index = 0
    }

    /// `torch.randperm(n, generator=self)`.
    /// - Precondition: `0 <= n < 214_748_364` (PyTorch switches algorithm above that).
    public mutating func randperm(_ n: Int) -> [Int] {
        precondition(n >= 0 && n < Int(UInt32.max / 20), "randperm: n out of the supported range")
        var r = Array(0..<n)
        if n < 2 { return r }
        for i in 0..<(n - 1) {
            let z = Int(random() % UInt32(n - i))
            r.swapAt(i, z + i)
        }
        return r
    }
}

/// The reference's train/validation split: `torch.utils.data.random_split(train, [n − v, v],
/// generator=torch.Generator().manual_seed(seed))` with v = min(int(0.1·n), 5000).
public struct RandomSplit: Sendable, Equatable {
    /// Indices into the original training set kept for training, in the reference's order.
    public var train: [Int]
    /// Indices into the original training set used for validation (`XVal`'s test loader).
    public var validation: [Int]

    /// Splits a training set of `count` items.
    /// - Parameters:
    ///   - validationFraction: 0.1 in the reference.
    ///   - maxValidation: 5000 in the reference.
    public init(count: Int, validationFraction: Double = 0.1, maxValidation: Int? = 5000, seed: UInt64 = 0) {
        var v = Int(Double(count) * validationFraction)
        if let maxValidation { v = min(v, maxValidation) }
        var g = TorchGenerator(seed: seed)
        let perm = g.randperm(count)
        train = Array(perm[0..<(count - v)])
        validation = Array(perm[(count - v)...])
    }
}
