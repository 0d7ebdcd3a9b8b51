import Checkpoints
import Foundation

/// torch.save zip archives: the zip reader, the unpickler, the state-dict walk, every view.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let url = FuzzFile.write(data, size, suffix: "pt")
    if let r = try? TorchCheckpoint(url: url) {
        for t in r.tensors.prefix(64) { _ = try? r.read(t.name) }
    }
    return 0
}
