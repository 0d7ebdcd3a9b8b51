/// One merge method: its description and its recipe. A new method is one file with a type
/// conforming to this, a `static let` on ``MergeMethod`` and one line in ``MergeMethodRegistry``.
protocol MergeMethodUnit: Sendable {
    /// Its name.
    var method: MergeMethod { get }
    /// Its parameters, LiNeS rule, output and `lines run` grid.
    var info: MergeMethodInfo { get }
    /// Checks combinations of options beyond each parameter's own range (default: none).
    func validate(_ options: MergeOptions, taskCount: Int?) throws
    /// What to compute for `options` over `taskCount` tasks.
    func recipe(_ options: MergeOptions, taskCount: Int) -> MergeRecipe
}

extension MergeMethodUnit {
    func validate(_ options: MergeOptions, taskCount: Int?) throws {}
}
