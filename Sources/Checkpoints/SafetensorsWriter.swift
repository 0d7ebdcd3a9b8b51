import Foundation
import Tensors

/// Writes a `.safetensors` file byte-identical to `safetensors.torch.save_file`.
///
/// The layout is fixed up front from the tensor descriptions, in the canonical writer's order
/// (dtype descending in the safetensors enum order, then name ascending), with a compact JSON
/// header padded with spaces to a multiple of 8. Tensor data can then be streamed in any order;
/// the file lives under a temporary name until ``finish()`` fsyncs and renames it.
///
/// ```swift
/// var w = try SafetensorsWriter(url: out, tensors: infos, metadata: ["format": "pt"])
/// for info in infos { try w.write(info.name, try reader.read(info.name)) }
/// try w.finish()
/// ```
public struct SafetensorsWriter: TensorWriter {
    /// The destination.
    public let url: URL
    /// Tensors in data order.
    public let layout: [TensorInfo]
    /// Absolute byte range of each tensor's data in the file.
    public let ranges: [String: Range<Int>]
    /// Position of each tensor in ``layout`` (lookups in constant time: files hold 10⁵ tensors).
    private let position: [String: Int]
    private let file: AtomicFile
    private var written: Set<String> = []
    /// The header bytes (length + JSON) that start the file.
    private let prefix: [UInt8]
    /// Set by the first ``append(_:bytes:)``.
    private var appender: BlockAppender?
    private var appendedCount = 0

    /// Lays out the file and writes its header to a temporary file next to `url`.
    /// - Throws: ``CheckpointError`` for duplicate names, sub-byte dtypes, or an unwritable folder.
    public init(url: URL, tensors: [TensorInfo], metadata: [String: String]? = ["format": "pt"]) throws {
        self.url = url
        let (order, header) = try SafetensorsWriter.header(url: url, tensors: tensors, metadata: metadata)
        layout = order
        var ranges: [String: Range<Int>] = [:]
        var offset = 8 + header.count
        for t in order {
            ranges[t.name] = offset..<(offset + t.byteCount)
            offset += t.byteCount
        }
        self.ranges = ranges
        position = Dictionary(order.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        file = try AtomicFile(url: url)
        var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { [UInt8]($0) }
        prefix += header
        self.prefix = prefix
        try file.write(prefix, at: 0)
    }

    /// Writes tensor `name`'s raw bytes as the next tensor of ``layout``: tensors appended in
    /// layout order go to the file front to back in large blocks, with direct I/O (no page-cache
    /// copy) where the file system allows it. Do not mix with the other `write` methods.
    /// - Throws: ``CheckpointError`` for a tensor out of layout order or a wrong byte count.
    public mutating func append(_ name: String, bytes: UnsafeRawBufferPointer) throws {
        guard appendedCount < layout.count, layout[appendedCount].name == name else {
            let expected = appendedCount < layout.count ? "'\(layout[appendedCount].name)'" : "no more tensors"
            throw CheckpointError.io(path: url.path, reason: "tensor '\(name)' appended out of layout order (expected \(expected))")
        }
        guard let r = ranges[name], bytes.count == r.count else {
            throw CheckpointError.tensorInvalidInfo(path: url.path, tensor: name, expectedBytes: ranges[name]?.count ?? 0, foundBytes: bytes.count)
        }
        if appender == nil { appender = try BlockAppender(file: file, prefix: prefix) }
        try appender?.append(bytes)
        appendedCount += 1
        written.insert(name)
    }

    /// ``append(_:bytes:)`` for a `Float` buffer, encoded as the tensor's declared dtype.
    public mutating func append(_ name: String, floats: UnsafeBufferPointer<Float>) throws {
        let info = try info(name)
        try SafetensorsWriter.encode(info, floats, path: url.path) { try append(name, bytes: $0) }
    }

    private func info(_ name: String) throws -> TensorInfo {
        guard let info = position[name].map({ layout[$0] }) else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        return info
    }

    /// Calls `body` with `floats` encoded as `info`'s dtype (F32: the floats' own bytes).
    private static func encode(_ info: TensorInfo, _ floats: UnsafeBufferPointer<Float>, path: String,
                               _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let name = info.name
        guard floats.count == info.count, info.dtype.isConvertible else {
            throw CheckpointError.tensorInvalidInfo(path: path, tensor: name, expectedBytes: info.byteCount, foundBytes: floats.count * (info.dtype.byteSize ?? 0))
        }
        if info.dtype == .f32 {
            try body(UnsafeRawBufferPointer(floats))
            return
        }
        var bytes = [UInt8](repeating: 0, count: info.byteCount)
        bytes.withUnsafeMutableBytes { dst in
            if let s = floats.baseAddress { DTypeConversion.encode(s, count: floats.count, as: info.dtype, into: dst) }
        }
        try bytes.withUnsafeBytes { try body($0) }
    }

    /// Builds the canonical order and padded header bytes.
    static func header(url: URL, tensors: [TensorInfo], metadata: [String: String]?) throws -> ([TensorInfo], [UInt8]) {
        var seen = Set<String>()
        for t in tensors {
            if !seen.insert(t.name).inserted { throw CheckpointError.duplicateTensor(path: url.path, tensor: t.name) }
            guard t.dtype.byteSize != nil else { throw CheckpointError.misalignedSlice(path: url.path, tensor: t.name, dtype: t.dtype.rawValue) }
            guard StoredTensor.byteCount(dtype: t.dtype, shape: t.shape) != nil else {
                throw CheckpointError.validationOverflow(path: url.path, tensor: t.name, shape: t.shape)
            }
        }
        let order = tensors.sorted { a, b in
            a.dtype != b.dtype ? a.dtype > b.dtype : pythonLess(a.name, b.name)
        }
        var json = "{"
        var first = true
        if let metadata {
            let items = metadata.keys.sorted(by: pythonLess).map { "\(JSONText.quote($0)):\(JSONText.quote(metadata[$0]!))" }
            json += "\"__metadata__\":{\(items.joined(separator: ","))}"
            first = false
        }
        var offset = 0
        for t in order {
            if !first { json += "," }
            first = false
            let end = offset + t.byteCount
            json += "\(JSONText.quote(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        let padded = (bytes.count + 7) / 8 * 8
        bytes += [UInt8](repeating: 0x20, count: padded - bytes.count)
        return (order, bytes)
    }

    /// Writes one tensor's raw little-endian bytes.
    /// - Throws: ``CheckpointError`` for an unknown name or a wrong byte count.
    public mutating func write(_ name: String, bytes: UnsafeRawBufferPointer) throws {
        guard let r = ranges[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        guard bytes.count == r.count else {
            throw CheckpointError.tensorInvalidInfo(path: url.path, tensor: name, expectedBytes: r.count, foundBytes: bytes.count)
        }
        if bytes.count > 0 { try file.write(bytes, at: r.lowerBound) }
        written.insert(name)
    }

    /// The absolute file offset of F32 tensor `name`'s data, when its values can be written in
    /// place with ``writeF32Part(_:atFile:)`` (F32 in the layout, little-endian host); else `nil`.
    public func f32DataOffset(_ name: String) -> Int? {
        guard Int(littleEndian: 1) == 1, let r = ranges[name],
              position[name].map({ layout[$0] })?.dtype == .f32 else { return nil }
        return r.lowerBound
    }

    /// Writes raw F32 values at absolute file offset `offset` (from ``f32DataOffset(_:)`` plus
    /// 4 × the index of the first value). Safe to call from several threads at once on disjoint
    /// ranges; call ``markWritten(_:)`` once a tensor's values are all written.
    public func writeF32Part(_ floats: UnsafeBufferPointer<Float>, atFile offset: Int) throws {
        if floats.count > 0 { try file.write(UnsafeRawBufferPointer(floats), at: offset) }
    }

    /// Writes `bytes` (already in the tensor's dtype) at byte `offset` of tensor `name`'s data.
    /// Safe to call from several threads at once on disjoint ranges; call ``markWritten(_:)``
    /// once all of the tensor is written.
    /// - Throws: ``CheckpointError`` for an unknown tensor or a range outside it.
    public func writePart(_ name: String, bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard let r = ranges[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        guard offset >= 0, offset + bytes.count <= r.count else {
            throw CheckpointError.io(path: url.path, reason: "bytes \(offset)..<\(offset + bytes.count) lie outside tensor '\(name)' (\(r.count) bytes)")
        }
        if bytes.count > 0 { try file.write(bytes, at: r.lowerBound + offset) }
    }

    /// Starts writing back bytes `range` of tensor `name` already written with
    /// ``writePart(_:bytes:at:)`` (see ``AtomicFile/startWriteback(_:)``), so that a large tensor's
    /// bytes go to disk while the rest of it is computed.
    public func startWriteback(_ name: String, bytes range: Range<Int>) {
        guard let r = ranges[name], range.lowerBound >= 0, range.upperBound <= r.count else { return }
        file.startWriteback((r.lowerBound + range.lowerBound)..<(r.lowerBound + range.upperBound))
    }

    /// Records that every value of `name` was written with ``writeF32Part(_:atFile:)``, and
    /// starts writing its bytes back to disk (see ``AtomicFile/startWriteback(_:)``).
    public mutating func markWritten(_ name: String) {
        written.insert(name)
        if let r = ranges[name] { file.startWriteback(r) }
    }

    /// Writes one tensor; its dtype and shape must match the layout.
    public mutating func write(_ name: String, _ tensor: StoredTensor) throws {
        guard let info = position[name].map({ layout[$0] }) else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        guard info.dtype == tensor.dtype, info.shape == tensor.shape else {
            throw CheckpointError.tensorInvalidInfo(path: url.path, tensor: name, expectedBytes: info.byteCount, foundBytes: tensor.data.count)
        }
        try tensor.data.withUnsafeBytes { (p: UnsafeRawBufferPointer) throws in try write(name, bytes: p) }
    }

    /// Encodes a `Float` buffer as the tensor's declared dtype and writes it.
    public mutating func write(_ name: String, floats: UnsafeBufferPointer<Float>) throws {
        let info = try info(name)
        try SafetensorsWriter.encode(info, floats, path: url.path) { try write(name, bytes: $0) }
    }

    /// Checks every tensor was written, then fsyncs and renames the file into place.
    public func finish() throws {
        if written.count != layout.count, let missing = layout.first(where: { !written.contains($0.name) }) {
            abandon()
            throw CheckpointError.io(path: url.path, reason: "tensor '\(missing.name)' was never written; nothing was saved")
        }
        do {
            try appender?.finish()
        } catch {
            appender?.waitForWrites()
            file.abandon()
            throw error
        }
        try file.commit()
    }

    /// Deletes the temporary file; nothing is left at the destination.
    public func abandon() {
        appender?.waitForWrites()
        file.abandon()
    }

    /// Writes a whole set of tensors in one call.
    public static func save(_ tensors: [(String, StoredTensor)], metadata: [String: String]? = ["format": "pt"], to url: URL) throws {
        var w = try SafetensorsWriter(url: url, tensors: tensors.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) }, metadata: metadata)
        do {
            for (n, t) in tensors { try w.write(n, t) }
            try w.finish()
        } catch {
            w.abandon()
            throw error
        }
    }
}

/// JSON string quoting as serde_json writes it (compact, non-ASCII kept as UTF-8).
enum JSONText {
    /// Quotes `s`; `asciiOnly` escapes non-ASCII as `\\uXXXX` (UTF-16), as Python's `json` does.
    static func quote(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else if asciiOnly && u.value > 0x7E {
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
