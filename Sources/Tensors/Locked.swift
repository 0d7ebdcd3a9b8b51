import Foundation

/// A value behind a lock, for state that concurrent workers share (Foundation's `NSLock`;
/// `Synchronization.Mutex` needs macOS 15).
///
/// ```swift
/// let seen = Locked<Set<String>>([])
/// Parallel.forEach(names.count) { i in seen.withLock { $0.insert(names[i]) } }
/// ```
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Starts with `value`.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the value with the lock held.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
