import Checkpoints
import Foundation

/// One CIFAR "python version" pickle (`data_batch_1`, `test_batch`, `train`, `test`): the images
/// (`data`, uint8 `N × 3072`, channel-planar 3×32×32) and their labels.
///
/// The files are Python 2 pickles of a dict holding a numpy array; they are read with the
/// foundation's ``SafeUnpickler`` (numpy's `_reconstruct`/`dtype` are on its allow-list; Python 2
/// strings are read as bytes, as `pickle.load(f, encoding="bytes")` does). Nothing is executed.
public struct CIFARBatch: Sendable {
    /// The images.
    public var images: PlanarImageSet
    /// One label per image.
    public var labels: [Int]

    /// Reads `url`, taking the labels from `labelKey` (`labels` for CIFAR-10, `fine_labels` for CIFAR-100).
    /// - Throws: ``DatasetError/malformedPickle(file:reason:)`` when the dict lacks `data` or the
    ///   label key, the array is not uint8 `N × 3072`, or the counts differ; the unpickler's
    ///   errors for a damaged or unsafe pickle.
    public init(contentsOf url: URL, labelKey: String) throws {
        let value = try Self.unpickle(url)
        guard let data = Self.lookup(value, "data") else {
            throw DatasetError.malformedPickle(file: url.path, reason: "the dict has no 'data' entry")
        }
        let (shape, bytes) = try Self.uint8Array(data, file: url.path)
        guard shape.count == 2, shape[1] == 3 * 32 * 32 else {
            throw DatasetError.malformedPickle(file: url.path, reason: "'data' has shape \(shape), expected [N, 3072]")
        }
        guard let labelList = Self.lookup(value, labelKey)?.items else {
            throw DatasetError.malformedPickle(file: url.path, reason: "the dict has no '\(labelKey)' list")
        }
        var labels: [Int] = []
        labels.reserveCapacity(labelList.count)
        for (i, item) in labelList.enumerated() {
            guard let v = item.int else {
                throw DatasetError.malformedPickle(file: url.path, reason: "'\(labelKey)'[\(i)] is not an integer")
            }
            labels.append(Int(v))
        }
        guard labels.count == shape[0] else {
            throw DatasetError.malformedPickle(file: url.path, reason: "\(shape[0]) images but \(labels.count) labels")
        }
        self.images = PlanarImageSet(file: url.path, count: shape[0], height: 32, width: 32, planes: bytes)
        self.labels = labels
    }

    /// The strings of list `key` in a CIFAR `meta` pickle (`label_names`, `fine_label_names`).
    /// - Throws: ``DatasetError/malformedPickle(file:reason:)``.
    public static func names(contentsOf url: URL, key: String) throws -> [String] {
        guard let list = lookup(try unpickle(url), key)?.items else {
            throw DatasetError.malformedPickle(file: url.path, reason: "the dict has no '\(key)' list")
        }
        return try list.map { item in
            switch item {
            case .string(let s): return s
            case .bytes(let b): return String(decoding: b, as: UTF8.self)
            default: throw DatasetError.malformedPickle(file: url.path, reason: "'\(key)' holds a non-string")
            }
        }
    }

    static func unpickle(_ url: URL) throws -> PickleValue {
        try MappedFile.withContents(of: url, unreadable: { DatasetError.unreadable(file: url.path, reason: $0) }) {
            try SafeUnpickler(path: url.path, python2StringsAsBytes: true).load($0)
        }
    }

    /// `dict[key]` with the key a Python 3 `str` or a Python 2 `str` read as bytes.
    static func lookup(_ dict: PickleValue, _ key: String) -> PickleValue? {
        dict.dict?.first { $0.key == .string(key) || $0.key == .bytes(Array(key.utf8)) }?.value
    }

    /// A uint8 numpy array rebuilt by `_reconstruct` + `BUILD` state `(version, shape, dtype, fortran, data)`.
    static func uint8Array(_ value: PickleValue, file: String) throws -> (shape: [Int], bytes: [UInt8]) {
        guard let object = value.object, object.type == PickleGlobal(module: "numpy", name: "ndarray"),
              let state = object.state.items, state.count == 5 else {
            throw DatasetError.malformedPickle(file: file, reason: "'data' is not a pickled numpy array")
        }
        let shape = (state[1].items ?? []).compactMap { $0.int.map(Int.init) }
        guard let dtype = state[2].object, let code = dtype.args.first else {
            throw DatasetError.malformedPickle(file: file, reason: "'data' has no numpy dtype")
        }
        guard code == .string("u1") || code == .bytes(Array("u1".utf8)) else {
            throw DatasetError.malformedPickle(file: file, reason: "'data' has dtype \(code), expected u1 (uint8)")
        }
        let bytes: [UInt8]
        switch state[4] {
        case .bytes(let b): bytes = b
        default: throw DatasetError.malformedPickle(file: file, reason: "'data' holds no raw bytes")
        }
        var product = 1
        for d in shape {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, d >= 0 else { throw DatasetError.malformedPickle(file: file, reason: "'data' has an impossible shape \(shape)") }
            product = p
        }
        guard bytes.count == product else {
            throw DatasetError.malformedPickle(file: file, reason: "'data' has \(bytes.count) bytes for shape \(shape)")
        }
        return (shape, bytes)
    }
}
