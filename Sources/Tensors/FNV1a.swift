/// The 64-bit FNV-1a hash, for stable fingerprints of file lists and configurations (cache keys,
/// run journals): the same bytes give the same value on every run and machine.
///
/// ```swift
/// var h = FNV1a()
/// h.add("path|size|mtime\n")
/// let key = h.hex
/// ```
public struct FNV1a: Sendable, Equatable {
    /// The hash so far.
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Hashes the UTF-8 bytes of `text`.
    public mutating func add(_ text: String) {
        for b in text.utf8 { value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    }

    /// The hash in lower-case hexadecimal, without leading zeros.
    public var hex: String { String(value, radix: 16) }
}
