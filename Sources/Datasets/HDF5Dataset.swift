import CHDF5
import Foundation

/// A uint8 dataset inside an HDF5 file (PCAM's `x` and `y`), read through Debian's libhdf5.
///
/// The file is opened for each read, so samples can point into a 7 GB file without loading it;
/// ``readAll()`` reads the whole dataset (labels), ``readItem(_:)`` one leading-index slice (an image).
/// Access is serialised (the serial libhdf5 is not thread-safe).
public final class HDF5Dataset: Sendable {
    /// The file.
    public let file: String
    /// The dataset's path inside the file.
    public let name: String
    /// The dataset's dimensions.
    public let shape: [Int]

    private static let lock = NSLock()

    /// Opens `name` in `file` and checks it holds 1-byte unsigned integers.
    /// - Throws: ``DatasetError/malformedHDF5(file:reason:)`` naming the file and dataset.
    public init(file: String, name: String) throws {
        self.file = file
        self.name = name
        self.shape = try Self.locked {
            try Self.withDataset(file, name) { dataset in
                let type = H5Dget_type(dataset)
                defer { H5Tclose(type) }
                guard H5Tget_class(type) == H5T_INTEGER, H5Tget_size(type) == 1, H5Tget_sign(type) == H5T_SGN_NONE else {
                    throw DatasetError.malformedHDF5(file: file, reason: "dataset '\(name)' is not uint8")
                }
                let space = H5Dget_space(dataset)
                defer { H5Sclose(space) }
                let rank = Int(H5Sget_simple_extent_ndims(space))
                guard rank >= 1 else { throw DatasetError.malformedHDF5(file: file, reason: "dataset '\(name)' has no dimensions") }
                var dims = [hsize_t](repeating: 0, count: rank)
                H5Sget_simple_extent_dims(space, &dims, nil)
                var product = 1
                for d in dims {
                    let (p, overflow) = product.multipliedReportingOverflow(by: Int(clamping: d))
                    guard !overflow, p <= 1 << 40 else {
                        throw DatasetError.malformedHDF5(file: file, reason: "dataset '\(name)' has an impossible shape \(dims)")
                    }
                    product = p
                }
                return dims.map { Int($0) }
            }
        }
    }

    /// Every value, row-major.
    public func readAll() throws -> [UInt8] {
        try Self.locked {
            try Self.withDataset(file, name) { dataset in
                var out = [UInt8](repeating: 0, count: shape.reduce(1, *))
                let status = out.withUnsafeMutableBytes { H5Dread(dataset, H5T_NATIVE_UINT8_g, 0, 0, 0, $0.baseAddress) }
                guard status >= 0 else { throw DatasetError.malformedHDF5(file: file, reason: "reading dataset '\(name)' failed") }
                return out
            }
        }
    }

    /// The values of leading index `index` (`shape.dropFirst()` of them), row-major.
    /// - Precondition: `0 <= index < shape[0]`.
    public func readItem(_ index: Int) throws -> [UInt8] {
        precondition(index >= 0 && index < shape[0], "item \(index) of \(shape[0])")
        return try Self.locked {
            try Self.withDataset(file, name) { dataset in
                let space = H5Dget_space(dataset)
                defer { H5Sclose(space) }
                var start = [hsize_t](repeating: 0, count: shape.count)
                start[0] = hsize_t(index)
                var count = shape.map { hsize_t($0) }
                count[0] = 1
                guard H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, nil, &count, nil) >= 0 else {
                    throw DatasetError.malformedHDF5(file: file, reason: "cannot select item \(index) of '\(name)'")
                }
                let memory = H5Screate_simple(Int32(count.count), &count, nil)
                defer { H5Sclose(memory) }
                var out = [UInt8](repeating: 0, count: shape.dropFirst().reduce(1, *))
                let status = out.withUnsafeMutableBytes { H5Dread(dataset, H5T_NATIVE_UINT8_g, memory, space, 0, $0.baseAddress) }
                guard status >= 0 else { throw DatasetError.malformedHDF5(file: file, reason: "reading item \(index) of '\(name)' failed") }
                return out
            }
        }
    }

    private static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static func withDataset<T>(_ file: String, _ name: String, _ body: (hid_t) throws -> T) throws -> T {
        H5open()
        H5Eset_auto2(0, nil, nil)  // errors are reported by the return values, not printed
        let f = H5Fopen(file, 0, 0)  // H5F_ACC_RDONLY, H5P_DEFAULT
        guard f >= 0 else { throw DatasetError.malformedHDF5(file: file, reason: "not an HDF5 file libhdf5 can open") }
        defer { H5Fclose(f) }
        let d = H5Dopen2(f, name, 0)
        guard d >= 0 else { throw DatasetError.malformedHDF5(file: file, reason: "no dataset '\(name)'") }
        defer { H5Dclose(d) }
        return try body(d)
    }
}
