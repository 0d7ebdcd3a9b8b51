import Checkpoints

/// The safe unpickler on raw pickle streams.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? SafeUnpickler(path: "fuzz").load(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
