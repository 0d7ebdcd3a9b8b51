import Foundation
import Tensors

/// A `.safetensors` file opened for lazy, memory-mapped reading.
///
/// Opening parses and validates the header with every rule of the reference implementation
/// (`safetensors::tensor::Metadata::validate`); tensor bytes are touched only when read.
public final class SafetensorsFile: CheckpointReader, @unchecked Sendable {
    public let url: URL
    public var format: CheckpointFormat { .safetensors }
    public let tensors: [TensorInfo]
    public let metadata: [String: String]
    /// The mapped file.
    public let file: MappedFile
    /// Absolute byte range of each tensor's data.
    public let ranges: [String: Range<Int>]
    /// Length of the JSON header in bytes.
    public let headerLength: Int
    private let index: [String: Int]

    /// Opens and validates `url`.
    /// - Throws: ``CheckpointError`` naming the rule that failed, the tensor and the offset.
    public init(url: URL) throws {
        self.url = url
        file = try MappedFile(url: url)
        let path = url.path
        let size = file.count
        guard size >= 8 else { throw CheckpointError.headerTooSmall(path: path, size: size) }
        let n = file.allBytes.loadUnaligned(as: UInt64.self).littleEndian
        guard n <= 100_000_000 else { throw CheckpointError.headerTooLarge(path: path, length: n) }
        guard Int(n) <= size - 8 else { throw CheckpointError.invalidHeaderLength(path: path, length: n, fileSize: size) }
        headerLength = Int(n)
        let headerBytes = file.bytes(8..<(8 + headerLength))
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw CheckpointError.invalidHeader(path: path, reason: "the \(n)-byte header is not valid UTF-8 (InvalidHeader)")
        }
        // Parsed as strictly as the Rust crate's serde_json: no BOM, no duplicate keys, integers
        // written as integers (`1.0` is not an offset).
        if headerBytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw CheckpointError.invalidHeader(path: path, reason: "the header starts with a UTF-8 byte-order mark (BOM), which safetensors does not allow (InvalidHeaderDeserialization)")
        }
        let root: JSONValue
        do { root = try JSONValue(parsing: [UInt8](headerBytes), name: "header", rejectingDuplicateKeys: true) } catch {
            throw CheckpointError.invalidHeader(path: path, reason: "the header is not valid JSON (InvalidHeaderDeserialization): \((error as? JSONValue.ParseError)?.reason ?? "\(error)")")
        }
        guard let dict = root.object else {
            throw CheckpointError.invalidHeader(path: path, reason: "the header is not a JSON object (InvalidHeaderDeserialization)")
        }
        var meta: [String: String] = [:]
        var entries: [(info: TensorInfo, begin: Int, end: Int)] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value.object else {
                    throw CheckpointError.invalidHeader(path: path, reason: "__metadata__ must map strings to strings (InvalidHeaderDeserialization)")
                }
                for (k, v) in m {
                    guard let s = v.string else {
                        throw CheckpointError.invalidHeader(path: path, reason: "__metadata__['\(k)'] is not a string (InvalidHeaderDeserialization)")
                    }
                    meta[k] = s
                }
                continue
            }
            entries.append(try SafetensorsFile.parseEntry(name: name, value: value, path: path))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var expected = 0
        var ranges: [String: Range<Int>] = [:]
        for e in entries {
            guard e.begin == expected, e.end >= e.begin else {
                throw CheckpointError.invalidOffset(path: path, tensor: e.info.name, offset: e.begin, expected: expected)
            }
            guard e.info.dtype.bitWidth % 8 == 0 || e.info.count * e.info.dtype.bitWidth % 8 == 0 else {
                throw CheckpointError.misalignedSlice(path: path, tensor: e.info.name, dtype: e.info.dtype.rawValue)
            }
            var bits = e.info.dtype.bitWidth
            for d in e.info.shape {
                let (m, o) = bits.multipliedReportingOverflow(by: d)
                if o { throw CheckpointError.validationOverflow(path: path, tensor: e.info.name, shape: e.info.shape) }
                bits = m
            }
            guard bits % 8 == 0 else { throw CheckpointError.misalignedSlice(path: path, tensor: e.info.name, dtype: e.info.dtype.rawValue) }
            guard e.end - e.begin == bits / 8 else {
                throw CheckpointError.tensorInvalidInfo(path: path, tensor: e.info.name, expectedBytes: bits / 8, foundBytes: e.end - e.begin)
            }
            ranges[e.info.name] = (8 + headerLength + e.begin)..<(8 + headerLength + e.end)
            expected = e.end
        }
        let dataSize = size - 8 - headerLength
        guard expected == dataSize else { throw CheckpointError.metadataIncompleteBuffer(path: path, expected: expected, found: dataSize) }
        self.tensors = entries.map(\.info)
        self.metadata = meta
        self.ranges = ranges
        var idx: [String: Int] = [:]
        for (i, e) in entries.enumerated() { idx[e.info.name] = i }
        index = idx
    }

    static func parseEntry(name: String, value: JSONValue, path: String) throws -> (info: TensorInfo, begin: Int, end: Int) {
        func bad(_ why: String) -> CheckpointError {
            .invalidHeader(path: path, reason: "tensor '\(name)': \(why) (InvalidHeaderDeserialization)")
        }
        /// A JSON integer ≥ 0 written as one (serde's usize): no sign, fraction or exponent.
        func unsigned(_ v: JSONValue) -> Int? {
            guard case .number(let text) = v, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int(text)
        }
        guard let obj = value.object else { throw bad("entry is not an object") }
        _ = obj  // other fields are ignored, as the crate's TensorInfo ignores them
        guard let dtypeName = value["dtype"]?.string else { throw bad("missing string 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw CheckpointError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = value["shape"]?.array else { throw bad("missing array 'shape'") }
        var shape: [Int] = []
        for d in shapeValues {
            guard let v = unsigned(d) else { throw bad("shape must hold non-negative integers") }
            shape.append(v)
        }
        guard let offs = value["data_offsets"]?.array, offs.count == 2,
              let b = unsigned(offs[0]), let e = unsigned(offs[1]) else { throw bad("'data_offsets' must be two non-negative integers") }
        return (TensorInfo(name: name, dtype: dtype, shape: shape), b, e)
    }

    /// The raw little-endian bytes of `name`, pointing into the map (no copy).
    /// - Throws: ``CheckpointError/tensorNotFound(path:tensor:)``.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let r = ranges[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        return file.bytes(r)
    }

    public func evict(_ name: String) {
        if let r = ranges[name] { file.release(r) }
    }

    private let copies = CopiedBytes()
    public var copiedBytes: Int { copies.count }

    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    public func mapped(_ name: String) -> MappedTensor? {
        ranges[name].map { MappedTensor(file: file, range: $0) }
    }

    public func read(_ name: String) throws -> StoredTensor {
        guard let i = index[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        let info = tensors[i]
        guard info.dtype.byteSize != nil else { throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: info.dtype.rawValue) }
        let raw = try rawBytes(name)
        copies.add(raw.count)
        return StoredTensor(dtype: info.dtype, shape: info.shape, data: [UInt8](raw))
    }

    public func readFloat(_ name: String) throws -> Tensor {
        guard let i = index[name], let m = mapped(name) else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        let info = tensors[i]
        guard info.dtype.isConvertible else { throw CheckpointError.unsupportedDType(path: url.path, tensor: name, dtype: info.dtype.rawValue) }
        return MappedTensor.decodeFloat(m, info: info, counter: copies)
    }
}
