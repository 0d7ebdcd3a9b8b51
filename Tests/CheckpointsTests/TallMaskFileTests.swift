// Fixtures: `python3 Scripts/fixtures/torch_fixtures.py` writes tall_masks.npy with
// np.save(path, {task: np.packbits(mask)}) (numpy 2.4) and the same dict with torch.save.
import Foundation
import Testing
@testable import Checkpoints

@Suite("TallMaskFile")
struct TallMaskFileTests {
    /// The expected masks, from tall_masks.expected.txt (`task hex` per line).
    func expected() throws -> [(task: String, packedBits: [UInt8])] {
        let text = try String(contentsOf: torchFixture("tall_masks.expected.txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            let hex: [UInt8] = parts.count > 1 ? Array(parts[1].utf8) : []
            let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16) ?? 0 }
            return (String(parts[0]), bytes)
        }
    }

    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("lines-tall-\(UUID().uuidString)-\(name)")
    }

    func expectEqual(_ a: [(task: String, packedBits: [UInt8])], _ b: [(task: String, packedBits: [UInt8])], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.map(\.task) == b.map(\.task), sourceLocation: sourceLocation)
        #expect(a.map(\.packedBits) == b.map(\.packedBits), sourceLocation: sourceLocation)
    }

    @Test func readsNumpySavedDictInFileOrder() throws {
        let masks = try TallMaskFile.read(torchFixture("tall_masks.npy"))
        #expect(masks.map(\.task) == ["MNIST", "SVHN", "Cars"])
        #expect(masks.map(\.packedBits.count) == [2, 3, 1])  // 13, 21 and 1 elements
        expectEqual(masks, try expected())
    }

    @Test("reads the dict saved with torch.save: uint8 tensors, numpy arrays, bool tensors", arguments: [
        "tall_masks_torch.pt", "tall_masks_torch_numpy.pt", "tall_masks_torch_bool.pt",
    ])
    func readsTorchSavedDict(_ name: String) throws {
        expectEqual(try TallMaskFile.read(torchFixture(name)), try expected())
    }

    @Test func writtenFileReadsBackEqual() throws {
        let masks = try TallMaskFile.read(torchFixture("tall_masks.npy"))
        let url = temporaryURL("roundtrip.npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try TallMaskFile.write(masks, to: url)
        expectEqual(try TallMaskFile.read(url), masks)
        let npy = try NumpyFile(url: url)
        #expect(npy.descr == "|O")
        #expect(npy.shape == [])
        #expect(npy.dataOffset % 64 == 0)
    }

    @Test func largeMasksAndEmptyDictRoundTrip() throws {
        let big = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let masks: [(task: String, packedBits: [UInt8])] = [("Résumé-task", big), ("empty", []), ("one", [0x80])]
        let url = temporaryURL("big.npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try TallMaskFile.write(masks, to: url)
        expectEqual(try TallMaskFile.read(url), masks)
        try TallMaskFile.write([], to: url)
        #expect(try TallMaskFile.read(url).isEmpty)
    }

    @Test func duplicateTasksAreRefused() {
        let url = temporaryURL("dup.npy")
        #expect(throws: CheckpointError.self) { try TallMaskFile.write([("A", [1]), ("A", [2])], to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func nonMaskFilesAreRefused() {
        #expect(throws: CheckpointError.self) { try TallMaskFile.read(torchFixture("dtype_f32.expected.safetensors")) }
        #expect(throws: CheckpointError.self) { try TallMaskFile.read(torchFixture("dtype_f32.pt")) }
    }

    @Test func packsBooleansLikeNumpy() {
        let bools: [UInt8] = [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]
        #expect(bools.withUnsafeBytes { TallMaskFile.pack($0) } == [0b1011_0000, 0b1100_0000])
    }

    @Test func headerMatchesNumpy() throws {
        // The first 128 bytes numpy 2.4 wrote for the 0-d object array.
        let file = try MappedFile(url: torchFixture("tall_masks.npy"))
        #expect(NumpyFile.header(descr: "|O", shape: []) == file.copy(0..<128))
        #expect(try NumpyFile(url: torchFixture("tall_masks.npy")).version == (1, 0))
    }
}
