import Foundation
import Tensors
import Testing
@testable import Checkpoints

/// `torch.save`-format archives written here read back, tensor for tensor, through the zip and
/// safe-unpickler reader (PyTorch's own `torch.load(weights_only=True)` reading them was checked
/// by hand with torch 2.15; CI has no PyTorch).
@Suite("TorchStateDictWriter")
struct TorchStateDictWriterTests {
    @Test("a state dict of several dtypes and ranks round-trips bit-exactly, in order")
    func roundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-sd-\(UUID().uuidString).pt")
        defer { try? FileManager.default.removeItem(at: url) }
        let tensors: [(String, StoredTensor)] = [
            ("model.visual.conv1.weight", StoredTensor(Tensor(shape: [2, 3, 2, 2], scalars: (0..<24).map { Float($0) * 0.5 - 3 }))),
            ("model.visual.class_embedding", StoredTensor(Tensor(shape: [5], scalars: [1, -2, 3.25, 0, 7]))),
            ("scale", StoredTensor(Tensor(shape: [], scalars: [4.5]))),
            ("half", StoredTensor(Tensor(shape: [3, 1], scalars: [1, 2, 3]), as: .f16)),
            ("ids", StoredTensor(dtype: .i64, shape: [2], data: [1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255])),
            ("empty", StoredTensor(Tensor(shape: [0, 4], scalars: []))),
        ]
        try TorchStateDictWriter.save(tensors, to: url)
        let reader = try Checkpoint.open(url)
        #expect(reader.format == .pytorchZip)
        #expect(reader.tensors.map(\.name) == tensors.map(\.0))
        for (name, t) in tensors {
            let back = try reader.read(name)
            #expect(back.dtype == t.dtype && back.shape == t.shape && back.data == t.data, "\(name)")
        }
    }

    @Test("CRC-32 is zip's (IEEE, reflected): crc32(\"123456789\") = 0xCBF43926")
    func crc() {
        #expect(_CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
