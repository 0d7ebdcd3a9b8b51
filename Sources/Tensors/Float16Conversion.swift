/// Exact scalar conversions between `Float` and the 16-bit storage types.
///
/// BF16 rounding is round-to-nearest-even on the dropped 16 bits, with NaN kept quiet, which is
/// what `torch.Tensor.to(torch.bfloat16)` does on CPU.
public enum HalfPrecision {
    /// Widens a BF16 bit pattern to `Float` (exact).
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a `Float` to BF16 bits with round-to-nearest-even.
    @inlinable
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let rounding: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// Widens an IEEE binary16 bit pattern to `Float` (exact).
    @inlinable
    public static func float(fromF16 bits: UInt16) -> Float {
        #if arch(x86_64) || arch(arm64)
        return Float(Float16(bitPattern: bits))
        #else
        return _softFloat(fromF16: bits)
        #endif
    }

    /// Narrows a `Float` to IEEE binary16 bits with round-to-nearest-even.
    @inlinable
    public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    @usableFromInline
    static func _softFloat(fromF16 h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | (UInt32(exp + 112) << 23) | (mant << 13))
    }
}
