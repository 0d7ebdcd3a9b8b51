/// Every per-tensor (mergekit) method, by mergekit's `merge_method` name. Adding one: a type
/// conforming to ``TensorMergeMethod`` in its own file, listed here, with its parity test.
public enum TensorMergeRegistry {
    public static let methods: [any TensorMergeMethod] = [
        LinearTensorMerge(),
        TaskArithmeticFamily.taskArithmetic, TaskArithmeticFamily.ties,
        TaskArithmeticFamily.dareLinear, TaskArithmeticFamily.dareTies,
        TaskArithmeticFamily.breadcrumbs, TaskArithmeticFamily.breadcrumbsTies,
        TaskArithmeticFamily.della, TaskArithmeticFamily.dellaLinear,
        SlerpTensorMerge(), NuSlerpTensorMerge(), ModelStockTensorMerge(), PassthroughTensorMerge(),
        SubspaceTensorMerge.tsv, SubspaceTensorMerge.isoC, SubspaceTensorMerge.isoCTS,
    ]

    /// The method named `name`, or `nil`.
    public static func method(named name: String) -> (any TensorMergeMethod)? {
        methods.first { $0.name == name }
    }

    /// The names, in registry order.
    public static var names: [String] { methods.map(\.name) }
}
