/// Per-task trim thresholds (0 = keep all) in stable memory that kernels read from any thread.
final class _Thresholds: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(1, values.count))
        pointer.initialize(repeating: 0, count: max(1, values.count))
        for (t, v) in values.enumerated() { pointer[t] = v }
    }

    deinit { pointer.deallocate() }

    /// Task `t`'s threshold.
    subscript(t: Int) -> Float { pointer[t] }
}
