/// A merge method, by the name `lines merge --method` and mergekit-style configs use.
///
/// Every method is one unit of ``MergeMethodRegistry`` (a file under `Methods/`): its parameters,
/// the global passes it needs, its kernel, whether LiNeS applies, its output and its `lines run`
/// grid all come from there. The static members name the built-in ones.
public struct MergeMethod: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The method's name, as `--method` takes it.
    public let rawValue: String

    /// The registered method named `rawValue`; `nil` for a name no unit registers.
    public init?(rawValue: String) {
        guard MergeMethodRegistry.units.contains(where: { $0.method.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    /// A method's name, for the units that define it.
    init(registering name: String) { rawValue = name }

    /// Every registered method, in the registry's order.
    public static var allCases: [MergeMethod] { MergeMethodRegistry.units.map(\.method) }

    public var description: String { rawValue }

    /// What the method takes and produces (from its unit in the registry).
    public var info: MergeMethodInfo { MergeMethodRegistry.unit(for: self).info }

    /// The reference's default `method.k` (percentage kept per task); 100 for methods without one.
    public var defaultK: Double {
        if case let .percentage(d)? = info.parameters.first(where: { $0.name == MergeParameter.k.name })?.kind { return d }
        return 100
    }
}

/// How TIES combines the entries that agree with the elected sign (`method.agg`).
public enum TIESAggregation: String, CaseIterable, Sendable {
    /// Their sum divided by their count, the count clamped to at least 1.
    case mean
    /// Their sum.
    case sum
    /// The largest |x| among them times the elected sign.
    case max
}
