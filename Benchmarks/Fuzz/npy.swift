import Checkpoints
import Foundation

/// TALL mask files: .npy of a pickled dict, or a torch.save dict.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let url = FuzzFile.write(data, size, suffix: "npy")
    _ = try? TallMaskFile.read(url)
    return 0
}
