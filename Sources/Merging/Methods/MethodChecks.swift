/// Parameter checks shared by the method units (the SVD methods, DARE, Breadcrumbs).
enum MethodChecks {
    /// Methods that combine the subspaces of several tasks (the SVD ones): one task is refused by name.
    static func requireTwoTasks(_ method: MergeMethod, _ taskCount: Int?) throws {
        if let taskCount, taskCount < 2 {
            throw MergeError.invalidOption("\(method.rawValue) merges the subspaces of at least 2 task vectors; got \(taskCount) (use lines edit for one)")
        }
    }

    /// A fraction parameter in `range`.
    static func requireFraction(_ method: MergeMethod, _ p: MergeParameter, _ value: Double, in range: ClosedRange<Double>,
                                openUpper: Bool = false, openLower: Bool = false) throws {
        let ok = value.isFinite && range.contains(value) && !(openUpper && value == range.upperBound) && !(openLower && value == range.lowerBound)
        if !ok {
            let lo = openLower ? "(" : "[", hi = openUpper ? ")" : "]"
            throw MergeError.invalidOption("\(method.rawValue): \(p.flag) must be in \(lo)\(range.lowerBound), \(range.upperBound)\(hi); got \(value)")
        }
    }
}
