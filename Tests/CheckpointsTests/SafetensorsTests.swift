import Foundation
import Testing
import Tensors
@testable import Checkpoints
import TestSupport

let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

func safetensorsFixture(_ name: String) -> URL {
    fixtureRoot.appendingPathComponent("safetensors/\(name)")
}


func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

@Suite("safetensors reader and writer")
struct SafetensorsTests {
    @Test("the writer's bytes equal safetensors.torch.save_file for the same tensors", arguments: [
        "layout.safetensors", "dtypes.safetensors", "rounding.safetensors", "empty.safetensors", "unicode_key.safetensors",
    ])
    func byteIdentical(name: String) throws {
        let original = safetensorsFixture(name)
        let reader = try SafetensorsFile(url: original)
        // Feed the tensors in reverse name order: the layout must not depend on input order.
        let tensors = try reader.tensors.map(\.name).sorted().reversed().map { ($0, try reader.read($0)) }
        let dir = try temporaryFolder()
        let out = dir.appendingPathComponent("out.safetensors")
        try SafetensorsWriter.save(tensors, metadata: reader.metadata.isEmpty ? nil : reader.metadata, to: out)
        #expect(try bytes(out) == bytes(original))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.safetensors"])
    }

    @Test("the header follows FORMATS.md: dtype descending, then name, padded with spaces to 8")
    func layoutOrder() throws {
        let reader = try SafetensorsFile(url: safetensorsFixture("layout.safetensors"))
        #expect(reader.tensors.map(\.name) == ["z", "a.weight", "c", "b.weight"])
        #expect(reader.headerLength == 272)
        #expect(reader.metadata == ["format": "pt"])
        #expect(try reader.readFloat("a.weight").scalars == [0, 1, 2, 3])
        #expect(try reader.read("z").data == [7, 0, 0, 0, 0, 0, 0, 0])
        #expect(try reader.readFloat("c").scalars == [0, 1, 2, 3, 4])
    }

    @Test("empty tensors and 0-rank scalars are valid")
    func emptyAndScalar() throws {
        let reader = try SafetensorsFile(url: safetensorsFixture("dtypes.safetensors"))
        #expect(reader.info("empty")?.shape == [0, 3])
        #expect(try reader.readFloat("empty").scalars.isEmpty)
        #expect(reader.info("scalar")?.shape == [])
        #expect(try reader.readFloat("scalar").scalars == [2.5])
    }

    @Test("each hostile file fails with its own rule, naming the file and tensor", arguments: [
        ("hostile_truncated.safetensors", "MetadataIncompleteBuffer"),
        ("hostile_tiny.safetensors", "HeaderTooSmall"),
        ("hostile_header_past_end.safetensors", "InvalidHeaderLength"),
        ("hostile_header_too_large.safetensors", "HeaderTooLarge"),
        ("hostile_overlap.safetensors", "tensor 'b' starts at data offset 4"),
        ("hostile_gap.safetensors", "tensor 'b' starts at data offset 8 but the previous tensor ends at 4"),
        ("hostile_huge_shape.safetensors", "ValidationOverflow"),
        ("hostile_size_mismatch.safetensors", "tensor 'a' spans 8 bytes but its dtype and shape need 12"),
        ("hostile_trailing_bytes.safetensors", "data buffer is 9 bytes but the tensors cover 4"),
        ("hostile_bad_json.safetensors", "not valid JSON"),
        ("hostile_bad_utf8.safetensors", "not valid UTF-8"),
        ("hostile_bad_dtype.safetensors", "dtype F33"),
        ("hostile_misaligned_f4.safetensors", "MisalignedSlice"),
        ("hostile_negative_shape.safetensors", "non-negative integers"),
    ])
    func hostile(name: String, message: String) throws {
        let url = safetensorsFixture(name)
        do {
            _ = try Checkpoint.open(url)
            Issue.record("\(name) was accepted")
        } catch let error as CheckpointError {
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.contains(name))
        }
    }

    @Test("a writer that is abandoned or not finished leaves nothing behind")
    func atomicity() throws {
        let dir = try temporaryFolder()
        let out = dir.appendingPathComponent("x.safetensors")
        let infos = [TensorInfo(name: "a", dtype: .f32, shape: [2]), TensorInfo(name: "b", dtype: .f16, shape: [1])]
        var w = try SafetensorsWriter(url: out, tensors: infos)
        try w.write("a", StoredTensor(Tensor(shape: [2], scalars: [1, 2])))
        #expect(throws: CheckpointError.self) { try w.finish() }  // "b" missing
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        var w2 = try SafetensorsWriter(url: out, tensors: infos)
        #expect(throws: CheckpointError.self) { try w2.write("a", StoredTensor(Tensor(shape: [3], scalars: [1, 2, 3]))) }
        #expect(throws: CheckpointError.self) { try w2.write("nope", StoredTensor(Tensor(shape: [2], scalars: [1, 2]))) }
        w2.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)

        #expect(throws: CheckpointError.self) { _ = try SafetensorsWriter(url: out, tensors: infos + [infos[0]]) }
    }

    @Test("floats written as F16 and BF16 are encoded with round-to-nearest-even")
    func floatWrites() throws {
        let dir = try temporaryFolder()
        let out = dir.appendingPathComponent("h.safetensors")
        var w = try SafetensorsWriter(url: out, tensors: [TensorInfo(name: "h", dtype: .bf16, shape: [2])])
        let values: [Float] = [1.0 + 0x1p-8, 1.0 + 3 * 0x1p-8]
        try values.withUnsafeBufferPointer { try w.write("h", floats: $0) }
        try w.finish()
        #expect(try SafetensorsFile(url: out).readFloat("h").scalars == [1.0, 1.0 + 4 * 0x1p-8])
    }

    @Test("files that are not checkpoints get a message saying what they are")
    func unrecognized() throws {
        let dir = try temporaryFolder()
        let cases: [([UInt8], String)] = [
            ([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E], "legacy (pre-1.6, non-zip) torch.save"),
            ([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0], "raw pickle stream"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0], "NumPy .npy"),
            (Array("GGUF....xxxx".utf8), "GGUF"),
            ([1, 2, 3], "only 3 bytes"),
        ]
        for (i, (content, message)) in cases.enumerated() {
            let url = dir.appendingPathComponent("f\(i).bin")
            try Data(content).write(to: url)
            #expect(throws: CheckpointError.self) { _ = try Checkpoint.open(url) }
            do { _ = try Checkpoint.open(url) } catch { #expect("\(error)".contains(message), "\(error)") }
        }
        #expect(throws: CheckpointError.io(path: dir.appendingPathComponent("missing").path, reason: "no such file or folder")) {
            _ = try Checkpoint.open(dir.appendingPathComponent("missing"))
        }
    }
}

@Suite("safetensors append (direct I/O)")
struct SafetensorsAppendTests {
    /// Tensors of several dtypes, one spanning blocks of the appender, in a fresh folder under `root`.
    func layout() -> [(String, StoredTensor)] {
        var rng = SystemRandomNumberGenerator()
        let big = Tensor(shape: [5_000_000], scalars: (0..<5_000_000).map { _ in Float.random(in: -1...1, using: &rng) })
        let small = Tensor(shape: [3, 7], scalars: (0..<21).map { Float($0) / 3 })
        return [("z.big", StoredTensor(big, as: .f32)), ("a.small", StoredTensor(small, as: .f32)),
                ("m.half", StoredTensor(small, as: .bf16)), ("e.empty", StoredTensor(Tensor(shape: [0], scalars: []), as: .f32))]
    }

    func folder(under root: String) throws -> URL? {
        guard FileManager.default.fileExists(atPath: root) else { return nil }
        let url = URL(fileURLWithPath: root).appendingPathComponent("lines-append-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The temporary folder (direct I/O on most file systems) and /dev/shm (tmpfs refuses
    /// direct I/O: the buffered fallback).
    @Test("appending in layout order writes the same bytes as writing", arguments: ["tmp", "/dev/shm"])
    func sameBytes(root: String) throws {
        guard let dir = try folder(under: root == "tmp" ? NSTemporaryDirectory() : root) else { return }
        defer { try? FileManager.default.removeItem(at: dir) }
        let tensors = layout()
        let reference = dir.appendingPathComponent("written.safetensors")
        try SafetensorsWriter.save(tensors, to: reference)
        let appended = dir.appendingPathComponent("appended.safetensors")
        var w = try SafetensorsWriter(url: appended, tensors: tensors.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) })
        let byName = Dictionary(uniqueKeysWithValues: tensors)
        for info in w.layout {
            let t = byName[info.name]!
            if t.dtype == .f32 {
                try t.floatTensor().scalars.withUnsafeBufferPointer { try w.append(info.name, floats: $0) }
            } else {
                try t.data.withUnsafeBytes { try w.append(info.name, bytes: $0) }
            }
        }
        try w.finish()
        #expect(try Data(contentsOf: appended) == Data(contentsOf: reference))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["appended.safetensors", "written.safetensors"])
    }

    @Test("a tensor out of layout order is refused, and nothing is left behind")
    func outOfOrder() throws {
        let dir = try #require(try folder(under: NSTemporaryDirectory()))
        defer { try? FileManager.default.removeItem(at: dir) }
        let tensors = layout()
        let url = dir.appendingPathComponent("out.safetensors")
        var w = try SafetensorsWriter(url: url, tensors: tensors.map { TensorInfo(name: $0.0, dtype: $0.1.dtype, shape: $0.1.shape) })
        let second = w.layout[1].name
        let floats = [Float](repeating: 0, count: w.layout[1].count)
        #expect {
            try floats.withUnsafeBufferPointer { try w.append(second, floats: $0) }
        } throws: { error in
            "\(error)".contains("appended out of layout order") && "\(error)".contains(w.layout[0].name)
        }
        w.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
