import Foundation

/// `lines run` overrides (one per line) composed over the embedded reference configuration:
/// methods, launchers, unknown keys and their suggestions, `${…}` interpolation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var overrides: [ConfigOverride] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).prefix(32) {
        if let o = try? ConfigOverride(String(line)) { overrides.append(o) }
    }
    _ = try? ConfigLoader().compose(overrides)
    return 0
}

/// Every embedded file parsed once before the first input, so that ConfigLoader's cache of
/// parsed trees is not charged to an input.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    let loader = ConfigLoader()
    for method in loader.methodNames {
        for launcher in DefaultConfigs.launchers.map(\.name) {
            _ = try? loader.compose([try ConfigOverride("method=\(method)"), try ConfigOverride("launcher=\(launcher)")])
        }
    }
    return 0
}
