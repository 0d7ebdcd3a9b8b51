import Foundation
import Tensors

/// What `lines inspect` reports about a checkpoint: format, counts, dtypes, architecture and the
/// layer map LiNeS will use.
public struct CheckpointSummary: Sendable, Codable, Equatable {
    /// One residual block: its index and the keys inside it.
    public struct Block: Sendable, Codable, Equatable {
        public var index: Int
        public var keys: [String]
    }

    public var path: String
    public var format: String
    public var tensorCount: Int
    public var parameterCount: Int
    public var byteCount: Int
    /// Element count per dtype, keyed by safetensors dtype name.
    public var dtypes: [String: Int]
    /// Detected family, or `nil` when no residual-block naming was recognised.
    public var architecture: String?
    /// The block pattern used (a regular expression with one capture group).
    public var blockPattern: String?
    /// L in the paper.
    public var layerCount: Int
    public var blocks: [Block]
    /// Keys outside the residual blocks (they get α in LiNeS).
    public var otherKeys: [String]
    public var metadata: [String: String]
    /// Every tensor, in the file's order.
    public var tensors: [TensorEntry]

    /// A tensor line of the report.
    public struct TensorEntry: Sendable, Codable, Equatable {
        public var name: String
        public var dtype: String
        public var shape: [Int]
        public var block: Int?
    }

    /// Summarises an opened checkpoint.
    /// - Parameter layerPattern: a user regex with one capture group overriding detection.
    public init(reader: any CheckpointReader, layerPattern: String? = nil) throws {
        let names = reader.tensors.map(\.name)
        let map: LayerMap?
        if let layerPattern {
            map = try LayerMap(pattern: layerPattern, names: names)
            architecture = "custom"
            blockPattern = layerPattern
        } else if let arch = Architecture.detect(names: names) {
            map = LayerMap(architecture: arch, names: names)
            architecture = arch.family
            blockPattern = arch.blockPattern
        } else {
            map = nil
            architecture = nil
            blockPattern = nil
        }
        path = reader.url.path
        format = reader.format.rawValue
        tensorCount = reader.tensors.count
        parameterCount = reader.parameterCount
        byteCount = reader.byteCount
        var dt: [String: Int] = [:]
        for t in reader.tensors { dt[t.dtype.rawValue, default: 0] += t.count }
        dtypes = dt
        layerCount = map?.layerCount ?? 0
        blocks = (map?.keysByBlock() ?? []).enumerated().map { Block(index: $0.offset, keys: $0.element) }
        otherKeys = names.filter { map?.block(of: $0) == nil }.sorted(by: pythonLess)
        metadata = reader.metadata
        tensors = reader.tensors.map { TensorEntry(name: $0.name, dtype: $0.dtype.rawValue, shape: $0.shape, block: map?.block(of: $0.name)) }
    }

    /// A human-readable report; `verbose` lists every tensor.
    public func text(verbose: Bool = false) -> String {
        var lines: [String] = []
        lines.append("\(path)")
        lines.append("  format:      \(format)")
        lines.append("  tensors:     \(tensorCount)")
        lines.append("  parameters:  \(parameterCount) (\(CheckpointSummary.humanCount(parameterCount)))")
        lines.append("  bytes:       \(byteCount) (\(CheckpointSummary.humanBytes(byteCount)))")
        let dts = dtypes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("  dtypes:      \(dts.isEmpty ? "-" : dts)")
        if let architecture, let blockPattern {
            lines.append("  architecture: \(architecture), L = \(layerCount) residual blocks (pattern \(blockPattern))")
            for b in blocks {
                lines.append("    block \(b.index): \(b.keys.count) keys")
            }
            lines.append("    outside the blocks (scaled by α): \(otherKeys.count) keys")
            for k in otherKeys.prefix(verbose ? otherKeys.count : 12) { lines.append("      \(Self.printable(k))") }
            if !verbose && otherKeys.count > 12 { lines.append("      … \(otherKeys.count - 12) more (--verbose lists all)") }
        } else {
            lines.append("  architecture: unknown (no residual-block naming recognised; pass --layer-pattern REGEX to merge with LiNeS)")
        }
        if !metadata.isEmpty {
            lines.append("  metadata:    " + metadata.sorted { $0.key < $1.key }.map { "\(Self.printable($0.key))=\(Self.printable($0.value))" }.joined(separator: ", "))
        }
        if verbose {
            lines.append("  tensors:")
            for t in tensors {
                lines.append("    \(Self.printable(t.name))  \(t.dtype) \(t.shape)\(t.block.map { "  [block \($0)]" } ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `s` safe to print on a terminal: control characters (C0, DEL, C1) and bidirectional
    /// overrides, which a hostile tensor name could use to rewrite the screen, as `\u{…}`.
    public static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            let v = u.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
                out += "\\u{" + String(v, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// `1234567` → `1.23 M`.
    public static func humanCount(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.2f B", d / 1e9) }
        if d >= 1e6 { return String(format: "%.2f M", d / 1e6) }
        if d >= 1e3 { return String(format: "%.2f K", d / 1e3) }
        return "\(n)"
    }

    /// `1234567` → `1.18 MiB`.
    public static func humanBytes(_ n: Int) -> String {
        let d = Double(n)
        if n >= 1 << 30 { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.2f MiB", d / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.2f KiB", d / Double(1 << 10)) }
        return "\(n) B"
    }
}
