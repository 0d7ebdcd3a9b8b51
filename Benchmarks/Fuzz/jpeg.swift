import Datasets
import Foundation

/// Images through ImageDecoder (magic-byte dispatch to the libjpeg / libpng bridges and the PNM
/// reader), the corpus seeded with jpeg fixtures.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? ImageDecoder.decode(bytes: UnsafeRawBufferPointer(start: data, count: size), name: "fuzz.jpeg")
    return 0
}
