import Checkpoints
import Foundation

/// Safetensors headers and data sections: open, then read every tensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let url = FuzzFile.write(data, size, suffix: "safetensors")
    if let r = try? SafetensorsFile(url: url) {
        for t in r.tensors.prefix(64) { _ = try? r.readFloat(t.name) }
    }
    return 0
}
