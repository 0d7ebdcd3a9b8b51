@testable import Checkpoints
import Foundation

/// The zip reader alone (central directory, ZIP64, local headers), then every entry's data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let url = FuzzFile.write(data, size, suffix: "zip")
    if let file = try? MappedFile(url: url), let z = try? ZipArchive(file: file) {
        for e in z.entries.prefix(64) { _ = try? z.data(e) }
    }
    return 0
}
