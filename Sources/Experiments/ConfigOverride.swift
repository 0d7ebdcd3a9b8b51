/// One Hydra-style command-line override: `key=value`, `+key=value` (add a key the config does
/// not have) or `++key=value` (add or replace).
public struct ConfigOverride: Sendable, Equatable {
    /// Dotted key, e.g. `method.k`.
    public var key: String
    /// The parsed value.
    public var value: ConfigValue
    /// `+` or `++`: the key may be new.
    public var adds: Bool
    /// The text as given.
    public var text: String

    /// Parses `text`.
    /// - Throws: ``ExperimentError/malformedOverride(_:)`` when there is no `=` or no key.
    public init(_ text: String) throws {
        var body = Substring(text)
        var adds = false
        if body.hasPrefix("++") { body = body.dropFirst(2); adds = true } else if body.hasPrefix("+") { body = body.dropFirst(); adds = true }
        guard let eq = body.firstIndex(of: "=") else { throw ExperimentError.malformedOverride(text) }
        let key = body[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty }) else {
            throw ExperimentError.malformedOverride(text)
        }
        self.key = key
        self.value = ConfigValue.parse(String(body[body.index(after: eq)...]))
        self.adds = adds
        self.text = text
    }

    /// The key split at dots.
    public var path: [String] { key.split(separator: ".").map(String.init) }
}
