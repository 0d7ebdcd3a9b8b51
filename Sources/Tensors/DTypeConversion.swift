/// Conversions between raw little-endian (or big-endian) storage bytes and `Float`.
///
/// Decoding is exact for F16, BF16, the integer types up to 24 bits of magnitude and BOOL; F64
/// and wide integers round to the nearest `Float`. Encoding rounds to nearest even (F16, BF16),
/// truncates toward zero for integers (like `torch.Tensor.to(torch.int64)`), and maps non-zero to
/// `true` for BOOL.
public enum DTypeConversion {
    /// Decodes `count` elements of `dtype` from `source` into `destination`.
    /// - Parameters:
    ///   - bigEndian: the source bytes are big-endian (PyTorch files with `byteorder` = `big`).
    /// - Precondition: `dtype.isConvertible`, `source.count >= count * dtype.byteSize`,
    ///   `destination.count >= count`.
    public static func decode(
        _ source: UnsafeRawBufferPointer, dtype: DType, count: Int, bigEndian: Bool = false,
        into destination: UnsafeMutablePointer<Float>
    ) {
        precondition(dtype.isConvertible, "decode: \(dtype.rawValue) is not convertible")
        let size = dtype.byteSize ?? 1
        precondition(source.count >= count * size, "decode: source too short")
        guard count > 0, let base = source.baseAddress else { return }
        let dst = destination
        Parallel.forRanges(count: count, minChunk: 1 << 17) { r in
            _decode(base, dtype: dtype, range: r, bigEndian: bigEndian, into: dst)
        }
    }

    @inline(__always)
    static func _load<T: FixedWidthInteger>(_ base: UnsafeRawPointer, _ i: Int, _ t: T.Type, _ be: Bool) -> T {
        let v = base.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
        return be ? T(bigEndian: v) : T(littleEndian: v)
    }

    static func _decode(
        _ base: UnsafeRawPointer, dtype: DType, range r: Range<Int>, bigEndian be: Bool,
        into dst: UnsafeMutablePointer<Float>
    ) {
        switch dtype {
        case .f32:
            if !be && Int(bitPattern: base) % 4 == 0 {
                let src = base.assumingMemoryBound(to: Float.self)
                (dst + r.lowerBound).update(from: src + r.lowerBound, count: r.count)
            } else {
                for i in r { dst[i] = Float(bitPattern: _load(base, i, UInt32.self, be)) }
            }
        case .f16:
            for i in r { dst[i] = HalfPrecision.float(fromF16: _load(base, i, UInt16.self, be)) }
        case .bf16:
            if !be {
                // The common case on its own, branch-free so that it vectorizes: the bits shifted up.
                for i in r { dst[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
            } else {
                for i in r { dst[i] = HalfPrecision.float(fromBF16: _load(base, i, UInt16.self, be)) }
            }
        case .f64:
            for i in r { dst[i] = Float(Double(bitPattern: _load(base, i, UInt64.self, be))) }
        case .i64: for i in r { dst[i] = Float(Int64(bitPattern: _load(base, i, UInt64.self, be))) }
        case .u64: for i in r { dst[i] = Float(_load(base, i, UInt64.self, be)) }
        case .i32: for i in r { dst[i] = Float(Int32(bitPattern: _load(base, i, UInt32.self, be))) }
        case .u32: for i in r { dst[i] = Float(_load(base, i, UInt32.self, be)) }
        case .i16: for i in r { dst[i] = Float(Int16(bitPattern: _load(base, i, UInt16.self, be))) }
        case .u16: for i in r { dst[i] = Float(_load(base, i, UInt16.self, be)) }
        case .i8: for i in r { dst[i] = Float(Int8(bitPattern: base.load(fromByteOffset: i, as: UInt8.self))) }
        case .u8: for i in r { dst[i] = Float(base.load(fromByteOffset: i, as: UInt8.self)) }
        case .bool: for i in r { dst[i] = base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        default: preconditionFailure("unreachable")
        }
    }

    /// Encodes `count` floats from `source` as little-endian `dtype` into `destination`.
    /// - Precondition: `dtype.isConvertible` and `destination.count >= count * dtype.byteSize`.
    public static func encode(
        _ source: UnsafePointer<Float>, count: Int, as dtype: DType,
        into destination: UnsafeMutableRawBufferPointer
    ) {
        precondition(dtype.isConvertible, "encode: \(dtype.rawValue) is not convertible")
        precondition(destination.count >= count * (dtype.byteSize ?? 1), "encode: destination too short")
        guard count > 0, let base = destination.baseAddress else { return }
        Parallel.forRanges(count: count, minChunk: 1 << 17) { r in
            _encode(source, range: r, as: dtype, into: base)
        }
    }

    @inline(__always)
    static func _store<T: FixedWidthInteger>(_ base: UnsafeMutableRawPointer, _ i: Int, _ v: T) {
        base.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
    }

    @inline(__always)
    static func _int<T: FixedWidthInteger>(_ v: Float, _ t: T.Type) -> T {
        guard v.isFinite else { return v.isNaN ? 0 : (v > 0 ? T.max : T.min) }
        return T(exactly: v.rounded(.towardZero)) ?? (v > 0 ? T.max : T.min)
    }

    static func _encode(
        _ src: UnsafePointer<Float>, range r: Range<Int>, as dtype: DType, into base: UnsafeMutableRawPointer
    ) {
        switch dtype {
        case .f32: for i in r { _store(base, i, src[i].bitPattern) }
        case .f16: for i in r { _store(base, i, HalfPrecision.f16(from: src[i])) }
        case .bf16: for i in r { _store(base, i, HalfPrecision.bf16(from: src[i])) }
        case .f64: for i in r { _store(base, i, Double(src[i]).bitPattern) }
        case .i64: for i in r { _store(base, i, _int(src[i], Int64.self)) }
        case .u64: for i in r { _store(base, i, _int(src[i], UInt64.self)) }
        case .i32: for i in r { _store(base, i, _int(src[i], Int32.self)) }
        case .u32: for i in r { _store(base, i, _int(src[i], UInt32.self)) }
        case .i16: for i in r { _store(base, i, _int(src[i], Int16.self)) }
        case .u16: for i in r { _store(base, i, _int(src[i], UInt16.self)) }
        case .i8: for i in r { base.storeBytes(of: UInt8(bitPattern: _int(src[i], Int8.self)), toByteOffset: i, as: UInt8.self) }
        case .u8: for i in r { base.storeBytes(of: _int(src[i], UInt8.self), toByteOffset: i, as: UInt8.self) }
        case .bool: for i in r { base.storeBytes(of: src[i] != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self) }
        default: preconditionFailure("unreachable")
        }
    }
}
