import Foundation
import Testing
@testable import Checkpoints
import TestSupport

@Suite("convert of PyTorch archives")
struct ConvertTests {
    static let names = ["bigendian", "clip_module", "clip_state_dict", "dtype_bf16", "dtype_bool", "dtype_f16", "dtype_f32",
                        "dtype_f64", "dtype_i64", "dtype_ints", "head_module", "nested", "protocol4", "views"]

    @Test("convert IN.pt OUT.safetensors is byte-identical to safetensors.torch.save_file of torch.load(IN)", arguments: names)
    func byteIdentical(name: String) throws {
        let input = fixtureRoot.appendingPathComponent("torch/\(name).pt")
        let expected = fixtureRoot.appendingPathComponent("torch/\(name).expected.safetensors")
        let out = try temporaryFolder().appendingPathComponent("\(name).safetensors")
        try CheckpointConverter.convert(try Checkpoint.open(input), to: out, metadata: nil)
        #expect(try bytes(out) == bytes(expected))
    }

    @Test("a whole pickled ImageEncoder and its state dict convert to the same tensors")
    func moduleEqualsStateDict() throws {
        let dir = try temporaryFolder()
        let a = dir.appendingPathComponent("a.safetensors"), b = dir.appendingPathComponent("b.safetensors")
        try CheckpointConverter.convert(try Checkpoint.open(fixtureRoot.appendingPathComponent("torch/clip_module.pt")), to: a)
        try CheckpointConverter.convert(try Checkpoint.open(fixtureRoot.appendingPathComponent("torch/clip_state_dict.pt")), to: b)
        #expect(try bytes(a) == bytes(b))
        let summary = try CheckpointSummary(reader: try Checkpoint.open(fixtureRoot.appendingPathComponent("torch/clip_module.pt")))
        #expect(summary.architecture == "open_clip-vit")
        #expect(summary.format == "pytorch-zip")
        #expect(summary.layerCount > 0)
    }
}
