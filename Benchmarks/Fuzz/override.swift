import Foundation

/// `lines run` overrides, one per line: `key=value`, `+key=value`, `++key=value`, the value
/// parsed as Hydra does (numbers, booleans, null, quoted strings, lists, mappings), printed back.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(64) {
        if let o = try? ConfigOverride(String(line)) { _ = o.value.description; _ = o.path }
    }
    return 0
}
