import Foundation

/// An unsigned-byte IDX file (LeCun's MNIST format), raw or gzip-compressed.
///
/// Layout: two zero bytes, the type code `0x08` (unsigned byte), the number of dimensions, each
/// dimension as a big-endian `UInt32`, then the values in row-major order. Images are
/// `[count, rows, cols]` (magic `0x00000803`), labels `[count]` (magic `0x00000801`).
public struct IDXFile: Sendable {
    /// The dimensions, outermost first.
    public var shape: [Int]
    /// The values, row-major, `shape.reduce(1, *)` bytes.
    public var values: [UInt8]

    /// Reads `url`; a name ending in `.gz` or content starting with the gzip magic is inflated first.
    /// - Throws: ``DatasetError`` naming the file: unreadable, bad gzip, bad magic, wrong size.
    public init(contentsOf url: URL) throws {
        try self.init(bytes: try GzipDecoder.contents(of: url), name: url.path)
    }

    /// Parses IDX bytes; `name` is used in error messages only.
    /// - Throws: ``DatasetError/malformedIDX(file:offset:reason:)``.
    public init(bytes: [UInt8], name: String) throws {
        guard bytes.count >= 4 else {
            throw DatasetError.malformedIDX(file: name, offset: 0, reason: "\(bytes.count) bytes, shorter than the 4-byte magic")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DatasetError.malformedIDX(file: name, offset: 0, reason: "the magic does not start with two zero bytes (not an IDX file)")
        }
        guard bytes[2] == 0x08 else {
            throw DatasetError.malformedIDX(file: name, offset: 2, reason: String(format: "type code 0x%02x, only 0x08 (unsigned byte) is read", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard rank >= 1, bytes.count >= 4 + 4 * rank else {
            throw DatasetError.malformedIDX(file: name, offset: 3, reason: "\(rank) dimensions announced, header needs \(4 + 4 * rank) bytes, file has \(bytes.count)")
        }
        var shape = [Int]()
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            shape.append(v)
            let (product, overflow) = total.multipliedReportingOverflow(by: v)
            guard !overflow, product <= bytes.count else {
                throw DatasetError.malformedIDX(file: name, offset: o, reason: "shape \(shape) needs more bytes than the file's \(bytes.count)")
            }
            total = product
        }
        let header = 4 + 4 * rank
        guard bytes.count - header == total else {
            throw DatasetError.malformedIDX(file: name, offset: header, reason: "shape \(shape) needs \(total) value bytes, found \(bytes.count - header)")
        }
        self.shape = shape
        self.values = Array(bytes[header...])
    }
}
