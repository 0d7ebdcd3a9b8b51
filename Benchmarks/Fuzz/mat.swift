import Datasets
import Foundation

/// MATLAB level-5 files (SVHN, Stanford Cars): tags, compressed elements, structs, cells; every
/// variable read as numbers and as text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let m = try? MATFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.mat") else { return 0 }
    for (_, v) in m.variables {
        _ = try? v.doubles(file: "fuzz.mat")
        _ = v.string
        for e in v.elements.prefix(64) { _ = try? e.doubles(file: "fuzz.mat"); _ = e.string }
    }
    return 0
}
