/// A fixed-size, uninitialised-then-owned block of `Float`s, freed with its owner.
///
/// Used for weights and workspaces so that hot loops work on stable raw pointers without
/// copy-on-write checks or exclusivity bookkeeping.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// `count` values written by `fill` into uninitialised memory (one pass over the buffer).
    init(uninitialized count: Int, fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        if count == 0 { pointer.initialize(to: 0) }
        do { try fill(pointer) } catch { pointer.deallocate(); throw error }
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { pointer.update(from: s, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }
}
