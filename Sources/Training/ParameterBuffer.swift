/// An owned, zero-initialised block of `Float`s with a stable address, for weights, gradients,
/// optimiser moments and activations (hot loops work on its raw pointer).
public final class ParameterBuffer: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int

    /// Allocates `count` zeros.
    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.update(from: b, count: values.count) } }
    }

    /// The values as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies `other` (of the same count) into this buffer.
    public func copy(from other: ParameterBuffer) {
        precondition(other.count == count, "ParameterBuffer.copy: \(other.count) values into \(count)")
        pointer.update(from: other.pointer, count: count)
    }

    deinit { pointer.deallocate() }
}
