import Checkpoints

/// The exact JSON parser (baselines, safetensors headers).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    _ = try? JSONValue(parsing: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz", rejectingDuplicateKeys: size % 2 == 0)
    return 0
}
