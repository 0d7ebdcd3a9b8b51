import Foundation
import Testing
import Tensors
@testable import Checkpoints

@Suite("outputs never destroy inputs")
struct OutputSafetyTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-outsafe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("shards"), withIntermediateDirectories: true)
        try Data("a".utf8).write(to: dir.appendingPathComponent("a.safetensors"))
        try Data("s".utf8).write(to: dir.appendingPathComponent("shards/model-00001-of-00001.safetensors"))
        return dir
    }

    @Test("the same file by another name is refused: itself, a symlink, a hard link, a path through ..")
    func sameFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.safetensors")
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("link.safetensors"), withDestinationURL: a)
        try FileManager.default.linkItem(at: a, to: dir.appendingPathComponent("hard.safetensors"))
        for name in ["a.safetensors", "link.safetensors", "hard.safetensors", "shards/../a.safetensors"] {
            #expect {
                try OutputSafety.check(output: dir.appendingPathComponent(name), inputs: [a])
            } throws: { error in
                "\(error)".contains("names the input \(a.path)")
            }
        }
        try OutputSafety.check(output: dir.appendingPathComponent("b.safetensors"), inputs: [a])
    }

    @Test("a folder output holding an input, and an output inside an input folder, are refused")
    func folders() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.safetensors"), shards = dir.appendingPathComponent("shards")
        #expect(throws: CheckpointError.self) { try OutputSafety.check(output: dir, inputs: [a]) }
        #expect(throws: CheckpointError.self) { try OutputSafety.check(output: shards.appendingPathComponent("new.safetensors"), inputs: [shards]) }
        #expect(throws: CheckpointError.self) { try OutputSafety.check(output: dir, inputs: [shards]) }
        // A sharded input named by its index file protects its folder too.
        let index = shards.appendingPathComponent("model.safetensors.index.json")
        #expect(throws: CheckpointError.self) {
            try OutputSafety.check(output: shards.appendingPathComponent("model-00001-of-00001.safetensors"), inputs: [index])
        }
        // Siblings are fine, existing or not.
        try OutputSafety.check(output: dir.appendingPathComponent("out"), inputs: [a, shards])
        try OutputSafety.check(output: dir.appendingPathComponent("out/deeper/x.safetensors"), inputs: [a, shards])
    }

    @Test("convert into the folder that holds its input is refused and the input is kept")
    func convertIntoInputFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-outsafe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.save([("w", StoredTensor(dtype: .f32, shape: [2], data: [0, 0, 128, 63, 0, 0, 0, 64]))], to: input)
        let before = try Data(contentsOf: input)
        #expect(throws: CheckpointError.self) {
            try CheckpointConverter.convert(try SafetensorsFile(url: input), to: dir, maxShardSize: 4)
        }
        #expect(try Data(contentsOf: input) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }
}
