import Foundation

/// The family of a checkpoint, detected from its tensor names, and where its residual blocks are.
///
/// LiNeS scales each residual block by its depth; this type says which keys belong to which
/// block. Detection looks for the block naming of each family:
///
/// | Family | Block keys |
/// |---|---|
/// | open_clip ViT (image tower) | `visual.transformer.resblocks.{i}.` |
/// | open_clip text tower | `transformer.resblocks.{i}.` (without `visual.`) |
/// | Hugging Face CLIP vision / text | `vision_model.encoder.layers.{i}.` / `text_model.encoder.layers.{i}.` |
/// | Hugging Face decoder LLM (Llama, Mistral, Qwen, …) | `model.layers.{i}.` |
/// | T5 | `encoder.block.{i}.` / `decoder.block.{i}.` |
public struct Architecture: Sendable, Equatable {
    /// A short name of the family, e.g. `open_clip-vit`.
    public var family: String
    /// The block-index pattern: a regular expression with one capture group holding the index.
    public var blockPattern: String
    /// L in the paper: number of residual blocks (highest index + 1).
    public var layerCount: Int

    public init(family: String, blockPattern: String, layerCount: Int) {
        self.family = family
        self.blockPattern = blockPattern
        self.layerCount = layerCount
    }

    /// The families tried in order; the first whose pattern matches any key wins.
    public static let knownPatterns: [(family: String, pattern: String)] = [
        ("open_clip-vit", #"(?:^|\.)visual\.transformer\.resblocks\.(\d+)\."#),
        ("hf-clip-vision", #"(?:^|\.)vision_model\.encoder\.layers\.(\d+)\."#),
        ("hf-clip-text", #"(?:^|\.)text_model\.encoder\.layers\.(\d+)\."#),
        ("open_clip-text", #"(?:^|\.)transformer\.resblocks\.(\d+)\."#),
        ("hf-decoder-llm", #"(?:^|\.)layers\.(\d+)\."#),
        ("t5", #"(?:^|\.)block\.(\d+)\."#),
        ("hf-encoder", #"(?:^|\.)layer\.(\d+)\."#),
    ]

    /// Detects the architecture from tensor names, or `nil` when no block naming is recognised.
    public static func detect(names: [String]) -> Architecture? {
        for (family, pattern) in knownPatterns {
            guard let map = try? LayerMap(pattern: pattern, names: names), map.layerCount > 0 else { continue }
            var fam = family
            if family == "hf-decoder-llm", !names.contains(where: { $0.contains("self_attn") || $0.contains("attention") }) {
                fam = "layered"
            }
            return Architecture(family: fam, blockPattern: pattern, layerCount: map.layerCount)
        }
        return nil
    }
}

/// Which residual block each key of a checkpoint belongs to.
///
/// Built from a regular expression with one capture group that holds the block index. L is the
/// largest index found plus one, as in the reference, where keys are matched by `.{i}.`.
public struct LayerMap: Sendable {
    /// The pattern used, as given.
    public let pattern: String
    /// Block index of each key that lies inside a residual block.
    public let blockOf: [String: Int]
    /// L in the paper.
    public let layerCount: Int

    /// Errors in a user-given layer pattern.
    public enum PatternError: Error, CustomStringConvertible, Equatable {
        case invalidRegex(String, reason: String)
        case needsOneCaptureGroup(String, found: Int)

        public var description: String {
            switch self {
            case let .invalidRegex(p, r): return "--layer-pattern '\(p)' is not a valid regular expression: \(r)"
            case let .needsOneCaptureGroup(p, n): return "--layer-pattern '\(p)' must have exactly one capture group holding the block index; it has \(n)"
            }
        }
    }

    /// Builds the map by matching `pattern` against every name.
    /// - Throws: ``PatternError`` when the pattern is not a regex with one capture group.
    public init(pattern: String, names: [String]) throws {
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            throw PatternError.invalidRegex(pattern, reason: "\(error.localizedDescription)")
        }
        guard regex.numberOfCaptureGroups == 1 else {
            throw PatternError.needsOneCaptureGroup(pattern, found: regex.numberOfCaptureGroups)
        }
        var map: [String: Int] = [:]
        var maxIndex = -1
        for name in names {
            let ns = name as NSString
            guard let m = regex.firstMatch(in: name, range: NSRange(location: 0, length: ns.length)) else { continue }
            let r = m.range(at: 1)
            guard r.location != NSNotFound, let i = Int(ns.substring(with: r)), i >= 0 else { continue }
            map[name] = i
            maxIndex = max(maxIndex, i)
        }
        self.pattern = pattern
        self.blockOf = map
        self.layerCount = maxIndex + 1
    }

    /// Builds the map for a detected architecture.
    public init(architecture: Architecture, names: [String]) {
        // The known patterns are valid with one group.
        self = (try? LayerMap(pattern: architecture.blockPattern, names: names))
            ?? LayerMap(unchecked: architecture.blockPattern)
    }

    private init(unchecked pattern: String) {
        self.pattern = pattern
        self.blockOf = [:]
        self.layerCount = 0
    }

    /// The block index of `name`, or `nil` for keys outside the residual blocks.
    public func block(of name: String) -> Int? { blockOf[name] }

    /// Keys per block, in block order, each list sorted.
    public func keysByBlock() -> [[String]] {
        var out = [[String]](repeating: [], count: layerCount)
        for (k, i) in blockOf { out[i].append(k) }
        return out.map { $0.sorted(by: pythonLess) }
    }
}
