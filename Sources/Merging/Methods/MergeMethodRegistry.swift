/// Every merge method, one unit each (mergekit's `merge_methods/registry.py` is the model).
///
/// The CLI's `--method` values, help and parameter checks, ``MergeOptions/validate(taskCount:)``,
/// `lines run method=…` and ``Merger``'s plan all come from these units.
enum MergeMethodRegistry {
    /// The units, in the order help lists them.
    static let units: [any MergeMethodUnit] = [
        SumMethod(), AverageMethod(), TIESMethod(), ConsensusMethod(), MagMaskingMethod(),
        TSVMethod(), IsoCMethod(), IsoCTSMethod(), DAREMethod(), BreadcrumbsMethod(),
    ]

    /// The unit of `method` (every ``MergeMethod`` value comes from a unit).
    static func unit(for method: MergeMethod) -> any MergeMethodUnit {
        guard let unit = units.first(where: { $0.method == method }) else {
            preconditionFailure("no registered unit for merge method \(method.rawValue)")
        }
        return unit
    }
}

extension MergeMethod {
    /// The method whose `lines run` name is `runName` (`mag_masking` → mag-masking).
    public init?(runName: String) {
        guard let unit = MergeMethodRegistry.units.first(where: { $0.info.runName == runName }) else { return nil }
        self = unit.method
    }

    /// The methods that take parameter `name`, for error messages.
    static func taking(_ name: String) -> [MergeMethod] { allCases.filter { $0.info.takes(name) } }
}
