import Datasets
import Foundation

/// IDX files (MNIST, EMNIST, Fashion-MNIST; gzip'd or not): header, dimensions, values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? IDXFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.idx")
    return 0
}
