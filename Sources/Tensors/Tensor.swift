/// A dense, row-major, contiguous `Float` tensor: the compute type of the library.
public struct Tensor: Sendable, Equatable {
    /// The extent of each dimension; `[]` is a scalar.
    public var shape: [Int]
    /// The values in row-major (C) order; `scalars.count == shape.product`.
    public var scalars: [Float]

    /// Creates a tensor from a shape and its row-major values.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        precondition(scalars.count == shape.reduce(1, *), "Tensor: \(scalars.count) values for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Number of elements.
    @inlinable public var count: Int { scalars.count }

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
}

extension Tensor {
    /// Elementwise `self + other`. - Precondition: equal shapes.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.zipped(with: rhs) { a, b in a + b }
    }

    /// Elementwise `self - other`. - Precondition: equal shapes.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        lhs.zipped(with: rhs) { a, b in a - b }
    }

    /// `scale * self`.
    public static func * (scale: Float, rhs: Tensor) -> Tensor {
        var out = rhs
        out.scalars.withUnsafeMutableBufferPointer { p in
            let b = p.baseAddress!
            Parallel.forRanges(count: p.count) { r in for i in r { b[i] *= scale } }
        }
        return out
    }

    /// Applies `op` elementwise on two equally shaped tensors, in parallel.
    public func zipped(with other: Tensor, _ op: @Sendable (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "shape mismatch \(shape) vs \(other.shape)")
        var out = self
        out.scalars.withUnsafeMutableBufferPointer { o in
            other.scalars.withUnsafeBufferPointer { b in
                let op_ = o.baseAddress!, bp = b.baseAddress!
                Parallel.forRanges(count: o.count) { r in for i in r { op_[i] = op(op_[i], bp[i]) } }
            }
        }
        return out
    }

    /// Sum of absolute values (L1 norm), accumulated in `Double`.
    public var l1Norm: Double {
        scalars.withUnsafeBufferPointer { Vector.l1Norm($0) }
    }
}
