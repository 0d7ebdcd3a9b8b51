import Foundation
import Merging

/// mergekit YAML configs: YAML (libyaml through Yams), keys, parameters, gradients, filters.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let c = try? MergekitConfig(yaml: text, file: "fuzz.yml") {
        for m in c.models { for (_, p) in m.parameters { _ = p.value(tensor: "model.layers.3.mlp.up_proj.weight", t: 0.5) } }
    }
    return 0
}
