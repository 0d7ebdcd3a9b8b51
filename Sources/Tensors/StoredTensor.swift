/// A tensor as a checkpoint stores it: a dtype, a shape and its little-endian, row-major bytes.
///
/// This is the exchange type between readers and writers; it keeps every dtype bit-exact (I64
/// values are not squeezed through `Float`). Convert to ``Tensor`` for arithmetic.
public struct StoredTensor: Sendable, Equatable {
    /// The element type on disk.
    public var dtype: DType
    /// The extent of each dimension.
    public var shape: [Int]
    /// Little-endian, row-major bytes; `data.count == shape.product * dtype.byteSize`.
    public var data: [UInt8]

    /// Creates a stored tensor. - Precondition: the byte count matches dtype and shape.
    public init(dtype: DType, shape: [Int], data: [UInt8]) {
        precondition(data.count == StoredTensor.byteCount(dtype: dtype, shape: shape) ?? -1,
                     "StoredTensor: \(data.count) bytes for \(dtype.rawValue) \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Encodes a `Float` tensor as `dtype` (round-to-nearest-even for F16/BF16).
    /// - Precondition: `dtype.isConvertible`.
    public init(_ tensor: Tensor, as dtype: DType = .f32) {
        let n = tensor.count
        var bytes = [UInt8](repeating: 0, count: n * (dtype.byteSize ?? 1))
        tensor.scalars.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBytes { dst in
                if let s = src.baseAddress { DTypeConversion.encode(s, count: n, as: dtype, into: dst) }
            }
        }
        self.init(dtype: dtype, shape: tensor.shape, data: bytes)
    }

    /// Number of elements (product of the shape).
    public var count: Int { shape.reduce(1, *) }

    /// Decodes to a `Float` tensor. - Throws: ``TensorError/unsupportedDType(_:)`` for F8/F4/F6/C64.
    public func floatTensor() throws -> Tensor {
        guard dtype.isConvertible else { throw TensorError.unsupportedDType(dtype) }
        let n = count
        var out = [Float](repeating: 0, count: n)
        data.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                if let d = dst.baseAddress { DTypeConversion.decode(src, dtype: dtype, count: n, into: d) }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// Re-encodes to another dtype through `Float` (the identity when `dtype` is unchanged).
    public func converted(to target: DType) throws -> StoredTensor {
        if target == dtype { return self }
        guard target.isConvertible else { throw TensorError.unsupportedDType(target) }
        return StoredTensor(try floatTensor(), as: target)
    }

    /// Bytes needed for `shape` elements of `dtype`, or `nil` on overflow or sub-byte types.
    public static func byteCount(dtype: DType, shape: [Int]) -> Int? {
        guard let size = dtype.byteSize else { return nil }
        var n = size
        for d in shape {
            guard d >= 0 else { return nil }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = m
        }
        return n
    }
}

/// Errors raised by tensor operations on data that came from outside.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// The dtype cannot be converted to `Float` by this library (F8, F4, F6, C64).
    case unsupportedDType(DType)
    /// Two tensors that must agree in shape do not.
    case shapeMismatch(expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .unsupportedDType(let d):
            return "dtype \(d.rawValue) cannot be converted to float32 (supported: BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64)"
        case .shapeMismatch(let e, let f):
            return "shape mismatch: expected \(e), found \(f)"
        }
    }
}
