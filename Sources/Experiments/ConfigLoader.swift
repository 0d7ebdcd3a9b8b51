import Foundation
import Merging
import Yams

/// Composes the run configuration as Hydra does for the reference's `main.py`: `config.yaml`,
/// then the selected `method/<name>.yaml` under `method`, then the command-line overrides, then
/// `${…}` interpolations; unknown keys are refused with the closest valid key.
public struct ConfigLoader: Sendable {
    /// `config.yaml`'s text.
    public var rootYAML: String
    /// `method/<name>.yaml` texts by name.
    public var methodYAML: [(name: String, yaml: String)]

    /// The embedded reference configuration (``DefaultConfigs``).
    public init() {
        rootYAML = DefaultConfigs.root
        methodYAML = DefaultConfigs.methods
    }

    /// A Hydra config folder (`config.yaml` and `method/*.yaml`), e.g. the reference's own `config/`.
    /// Keys of Lines' own that the folder lacks keep their defaults.
    /// - Throws: ``ExperimentError/badConfigFile(path:reason:)``.
    public init(directory: URL) throws {
        let rootURL = directory.appendingPathComponent("config.yaml")
        guard let root = try? String(contentsOf: rootURL, encoding: .utf8) else {
            throw ExperimentError.badConfigFile(path: rootURL.path, reason: "no such readable file")
        }
        rootYAML = root
        let methodDir = directory.appendingPathComponent("method")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: methodDir.path)) ?? []
        var methods: [(String, String)] = []
        for file in files.sorted() where file.hasSuffix(".yaml") {
            let url = methodDir.appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw ExperimentError.badConfigFile(path: url.path, reason: "not readable as UTF-8")
            }
            methods.append((String(file.dropLast(5)), text))
        }
        // Methods the folder does not define (e.g. the TALL repo has no single_task) keep ours.
        for (name, yaml) in DefaultConfigs.methods where !methods.contains(where: { $0.0 == name }) {
            methods.append((name, yaml))
        }
        methodYAML = methods
    }

    /// Names of the available methods.
    public var methodNames: [String] { methodYAML.map(\.name) }

    /// The composed, overridden and interpolated configuration tree.
    /// - Throws: ``ExperimentError`` for unknown keys and methods and unparsable files.
    public func compose(_ overrides: [ConfigOverride]) throws -> ConfigValue {
        var root = try Self.parseYAML(rootYAML, file: "config.yaml")
        var method = Self.defaultMethod(in: root) ?? "sum"
        for o in overrides where o.key == "method" {
            guard case let .string(name) = o.value else {
                throw ExperimentError.badValue(key: "method", value: o.value.description, expected: "a method name")
            }
            method = name
        }
        guard let methodText = methodYAML.first(where: { $0.name == method })?.yaml else {
            throw ExperimentError.unknownMethod(method, known: methodNames)
        }
        root.remove(at: ["defaults"])
        root.remove(at: ["hydra"])
        // Lines' own keys, for config folders that come from the reference.
        let own = try Self.parseYAML(DefaultConfigs.root, file: "config.yaml")
        for key in ["activation", "results_location", "logs_location", "clip_checkpoint", "bpe_path"] where root.value(at: [key]) == nil {
            if let v = own.value(at: [key]) { root.set(v, at: [key]) }
        }
        root.set(try Self.parseYAML(methodText, file: "method/\(method).yaml"), at: ["method"])
        var launcher = "local"
        for o in overrides where o.key == "launcher" {
            guard case let .string(name) = o.value, DefaultConfigs.launchers.contains(where: { $0.name == name }) else {
                throw ExperimentError.badValue(key: "launcher", value: o.value.description,
                                               expected: DefaultConfigs.launchers.map(\.name).joined(separator: " or "))
            }
            launcher = name
        }
        // The default launcher adds no key, so that a local run's tree (--cfg, .hydra/config.yaml) is the reference's.
        if launcher != "local", let text = DefaultConfigs.launchers.first(where: { $0.name == launcher })?.yaml {
            root.set(try Self.parseYAML(text, file: "launcher/\(launcher).yaml"), at: ["launcher"])
        }

        let known = root.leafPaths
        for o in overrides where o.key != "method" && o.key != "launcher" {
            let path = o.path
            if root.value(at: path) == nil && !o.adds {
                throw ExperimentError.unknownKey(o.key, suggestion: suggestion(for: o.key, known: known))
            }
            guard root.set(o.value, at: path) else {
                throw ExperimentError.badValue(key: o.key, value: o.value.description, expected: "a key under a mapping")
            }
        }
        return try Self.interpolate(root, root: root)
    }

    /// The closest known key, or where the key lives in another method.
    func suggestion(for key: String, known: [String]) -> String? {
        if key.hasPrefix("method.") {
            let leaf = String(key.dropFirst(7))
            for (name, yaml) in methodYAML {
                if let tree = try? Self.parseYAML(yaml, file: name), tree.value(at: [leaf]) != nil, !known.contains(key) {
                    if let close = Self.closest(key, in: known), Self.distance(close, key) <= 2 { return close }
                    return "\(key) (a key of method=\(name); or add it with +\(key)=…)"
                }
            }
        }
        return Self.closest(key, in: known)
    }

    static func closest(_ key: String, in known: [String]) -> String? {
        let best = known.map { ($0, distance($0.lowercased(), key.lowercased())) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    static func defaultMethod(in root: ConfigValue) -> String? {
        guard case let .list(items)? = root.value(at: ["defaults"]) else { return nil }
        for item in items {
            if case let .map(entries) = item, let m = entries.first(where: { $0.key == "method" }), case let .string(s) = m.value {
                return s
            }
        }
        return nil
    }

    /// Parses YAML into a ``ConfigValue`` (mappings keep their order). The trees of the texts
    /// parsed last are kept (a sweep composes the same files once per run).
    static func parseYAML(_ text: String, file: String) throws -> ConfigValue {
        if let tree = parsed.tree(for: text) { return tree }
        let tree = try parseYAMLUncached(text, file: file)
        parsed.keep(tree, for: text)
        return tree
    }

    private static let parsed = _ParsedYAML()

    private static func parseYAMLUncached(_ text: String, file: String) throws -> ConfigValue {
        let node: Node?
        do { node = try SafeYAML.compose(text) } catch {
            throw ExperimentError.badConfigFile(path: file, reason: "\(error)")
        }
        guard let node else { return .map([]) }
        return convert(node)
    }

    static func convert(_ node: Node) -> ConfigValue {
        switch node {
        case let .scalar(s):
            if s.style == .singleQuoted || s.style == .doubleQuoted { return .string(s.string) }
            if node.null != nil { return .null }
            if let b = node.bool { return .bool(b) }
            if let i = node.int { return .int(i) }
            if let d = node.float { return .double(d) }
            return .string(s.string)
        case let .mapping(m):
            return .map(m.map { (key: $0.key.string ?? "\($0.key)", value: convert($0.value)) })
        case let .sequence(q):
            return .list(q.map(convert))
        default:
            return .null
        }
    }

    /// Resolves `${a.b}` references against the tree (`${now:…}` and other resolvers are left as is).
    static func interpolate(_ value: ConfigValue, root: ConfigValue, depth: Int = 0) throws -> ConfigValue {
        switch value {
        case let .string(s) where s.contains("${"):
            guard depth < 16 else { throw ExperimentError.badValue(key: s, value: s, expected: "no interpolation cycle") }
            var out = ""
            var rest = Substring(s)
            while let open = rest.range(of: "${") {
                out += rest[..<open.lowerBound]
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else { out += rest; rest = ""; break }
                let ref = String(rest[open.upperBound..<close])
                if ref.contains(":") {
                    out += "${\(ref)}"
                } else if let target = root.value(at: ref.split(separator: ".").map(String.init)) {
                    let resolved = try interpolate(target, root: root, depth: depth + 1)
                    // A string that is only one reference keeps the referenced value's type.
                    if out.isEmpty && rest[rest.index(after: close)...].isEmpty && open.lowerBound == rest.startIndex {
                        return resolved
                    }
                    out += resolved.description
                } else {
                    throw ExperimentError.unknownKey(ref, suggestion: closest(ref, in: root.leafPaths))
                }
                rest = rest[rest.index(after: close)...]
            }
            return .string(out + rest)
        case let .map(entries):
            return .map(try entries.map { (key: $0.key, value: try interpolate($0.value, root: root, depth: depth)) })
        case let .list(items):
            return .list(try items.map { try interpolate($0, root: root, depth: depth) })
        default:
            return value
        }
    }
}

/// The last few YAML texts parsed and their trees (at most 32, the oldest dropped first).
private final class _ParsedYAML: @unchecked Sendable {
    private let lock = NSLock()
    private var trees: [String: ConfigValue] = [:]
    private var order: [String] = []

    func tree(for text: String) -> ConfigValue? {
        lock.lock()
        defer { lock.unlock() }
        return trees[text]
    }

    func keep(_ tree: ConfigValue, for text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard trees[text] == nil else { return }
        if order.count == 32 { trees[order.removeFirst()] = nil }
        trees[text] = tree
        order.append(text)
    }
}
