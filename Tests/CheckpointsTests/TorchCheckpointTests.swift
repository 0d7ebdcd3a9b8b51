// Fixtures: `python3 Scripts/fixtures/torch_fixtures.py` (torch 2.15, open_clip 3.3.0,
// safetensors 0.8.0, numpy 2.4) writes Tests/Fixtures/torch/.
import Foundation
import Testing
@testable import Checkpoints
import Tensors

let torchFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/torch")

func torchFixture(_ name: String) -> URL { torchFixtures.appendingPathComponent(name) }

/// Asserts that every tensor of `reader` equals, bit for bit, the tensor of the same name in the
/// expected safetensors file, and that both have the same names in the same set.
func expectSameTensors(_ reader: any CheckpointReader, _ expectedURL: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let expected = try SafetensorsFile(url: expectedURL)
    #expect(Set(reader.tensors.map(\.name)) == Set(expected.tensors.map(\.name)), sourceLocation: sourceLocation)
    #expect(reader.tensors.count == expected.tensors.count, sourceLocation: sourceLocation)
    for info in expected.tensors {
        let got = try reader.read(info.name)
        let want = try expected.read(info.name)
        #expect(got.dtype == want.dtype, "\(info.name) dtype", sourceLocation: sourceLocation)
        #expect(got.shape == want.shape, "\(info.name) shape", sourceLocation: sourceLocation)
        #expect(got.data == want.data, "\(info.name) data", sourceLocation: sourceLocation)
        #expect(reader.info(info.name)?.shape == want.shape, sourceLocation: sourceLocation)
    }
}

@Suite("TorchCheckpoint")
struct TorchCheckpointTests {
    @Test("state dicts read to the exact bytes safetensors wrote", arguments: [
        "dtype_f32", "dtype_f16", "dtype_bf16", "dtype_f64", "dtype_i64", "dtype_bool", "dtype_ints",
        "views", "protocol4", "bigendian", "nested", "clip_state_dict", "clip_module", "head_module",
    ])
    func readsExactBytes(_ name: String) throws {
        let reader = try Checkpoint.open(torchFixture("\(name).pt"))
        #expect(reader.format == .pytorchZip)
        try expectSameTensors(reader, torchFixture("\(name).expected.safetensors"))
    }

    @Test func dtypesAreThoseOfTheStorages() throws {
        let ints = try TorchCheckpoint(url: torchFixture("dtype_ints.pt"))
        #expect(ints.info("i32")?.dtype == .i32)
        #expect(ints.info("u8")?.dtype == .u8)
        #expect(ints.info("i16")?.dtype == .i16)
        #expect(ints.info("i8")?.dtype == .i8)
        #expect(try TorchCheckpoint(url: torchFixture("dtype_bool.pt")).info("mask")?.dtype == .bool)
        #expect(try TorchCheckpoint(url: torchFixture("dtype_bf16.pt")).info("w")?.dtype == .bf16)
        let scalar = try TorchCheckpoint(url: torchFixture("dtype_f32.pt"))
        #expect(scalar.info("scalar")?.shape == [])
        #expect(try scalar.readFloat("scalar").scalars == [1.5])
    }

    @Test func viewsShareOneStorage() throws {
        let ckpt = try TorchCheckpoint(url: torchFixture("views.pt"))
        let keys = Set(["w", "row", "col", "t", "block", "step"].compactMap { ckpt.view($0)?.storage.key })
        #expect(keys.count == 1)
        #expect(ckpt.view("row")?.offset == 5)
        #expect(ckpt.view("t")?.isContiguous == false)
        #expect(try ckpt.readFloat("col").scalars == [1, 6, 11, 16])
        #expect(try ckpt.readFloat("step").scalars == [0, 2, 4, 10, 12, 14])
        #expect(ckpt.tensors.map(\.name) == ["w", "row", "col", "t", "block", "step"])
        ckpt.evict("w")
        #expect(try ckpt.readFloat("w").scalars.count == 20)
    }

    @Test func bigEndianArchiveIsSwapped() throws {
        let ckpt = try TorchCheckpoint(url: torchFixture("bigendian.pt"))
        #expect(ckpt.archive.isBigEndian)
        #expect(try ckpt.readFloat("i64").scalars == [0, 1, 2, 3])
    }

    @Test func wholeModuleMatchesItsStateDict() throws {
        let module = try TorchCheckpoint(url: torchFixture("clip_module.pt"))
        let stateDict = try TorchCheckpoint(url: torchFixture("clip_state_dict.pt"))
        let keys = try String(contentsOf: torchFixture("clip_module.keys.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        // Same names in the same order as `module.state_dict()`.
        #expect(module.tensors.map(\.name) == keys)
        #expect(stateDict.tensors.map(\.name) == keys)
        #expect(keys.contains("model.visual.transformer.resblocks.0.attn.in_proj_weight"))
        #expect(!keys.contains { $0.contains("attn_mask") })  // non-persistent buffer
        for name in keys { #expect(try module.read(name) == stateDict.read(name)) }
        #expect(module.pickledClass == "src.models.modeling.ImageEncoder")
        #expect(stateDict.pickledClass == nil)
    }

    @Test func classificationHeadExposesClassAndAttributes() throws {
        let head = try TorchCheckpoint(url: torchFixture("head_module.pt"))
        #expect(head.tensors.map(\.name) == ["weight", "bias"])
        #expect(head.pickledClass == "src.models.modeling.ClassificationHead")
        #expect(head.pickledAttributes["normalize"] == .bool(true))
        #expect(head.pickledAttributes["in_features"] == .int(16))
        #expect(head.pickledAttributes["out_features"] == .int(3))
        #expect(head.info("weight")?.shape == [3, 16])
    }

    @Test func recordPrefixComesFromTheFirstEntry() throws {
        #expect(try TorchCheckpoint(url: torchFixture("views.pt")).archive.prefix == "views")
    }

    @Test func torchScriptIsRefusedWithAdvice() throws {
        do {
            _ = try Checkpoint.open(torchFixture("torchscript.pt"))
            Issue.record("TorchScript was accepted")
        } catch let error as CheckpointError {
            guard case .unrecognizedFormat(_, let hint) = error else { Issue.record("wrong error \(error)"); return }
            #expect(hint.contains("TorchScript"))
            #expect(hint.contains("torch.jit.load"))
            #expect(hint.contains("state_dict"))
        }
    }

    @Test func legacyNonZipFileIsNamed() throws {
        do {
            _ = try Checkpoint.open(torchFixture("legacy.pt"))
            Issue.record("legacy file was accepted")
        } catch let error as CheckpointError {
            guard case .unrecognizedFormat(_, let hint) = error else { Issue.record("wrong error \(error)"); return }
            #expect(hint.contains("legacy"))
        }
    }

    @Test func shortStorageRecordIsOutOfBounds() throws {
        #expect(throws: CheckpointError.storageOutOfBounds(
            path: torchFixture("hostile_short_storage.pt").path, tensor: "w",
            storage: "hostile_short_storage/data/0", needed: 16, available: 8)) {
            try TorchCheckpoint(url: torchFixture("hostile_short_storage.pt"))
        }
    }

    @Test func truncatedArchiveIsMalformed() throws {
        do {
            _ = try Checkpoint.open(torchFixture("hostile_truncated.pt"))
            Issue.record("truncated archive was accepted")
        } catch let error as CheckpointError {
            guard case .malformedArchive(_, let reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("end-of-central-directory"))
        }
    }

    @Test func unknownTensorIsNotFound() throws {
        let ckpt = try TorchCheckpoint(url: torchFixture("dtype_f32.pt"))
        #expect(throws: CheckpointError.tensorNotFound(path: ckpt.url.path, tensor: "nope")) { try ckpt.read("nope") }
    }
}

@Suite("TorchCheckpoint's mapping after opening")
struct TorchCheckpointResidencyTests {
    /// Resident kB of the mapping that starts at `address`, from /proc/self/smaps.
    static func residentKB(mappingAt address: UnsafeRawPointer) throws -> Int? {
        // Read to the end (a /proc file reports size 0).
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return nil }
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let start = String(UInt(bitPattern: address), radix: 16)
        var inside = false
        for line in smaps.split(separator: "\n") {
            // A mapping's first line: "start-end perms offset dev inode [path]"; then "Field: value kB" lines.
            if let dash = line.firstIndex(of: "-"), line.split(separator: " ").count >= 5 {
                inside = line[..<dash] == start
                continue
            }
            if inside, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
            }
        }
        return nil
    }

    #if os(Linux)
    @Test("the pages read while checking the storages (their local headers) are unmapped: nothing of the file stays resident")
    func nothingResidentAfterOpen() throws {
        let checkpoint = try TorchCheckpoint(url: torchFixture("clip_module.pt"))
        let file = checkpoint.archive.zip.file
        guard let base = file.allBytes.baseAddress else { Issue.record("empty fixture"); return }
        let resident = try #require(try Self.residentKB(mappingAt: base), "no mapping of clip_module.pt in /proc/self/smaps")
        #expect(resident == 0, "\(resident) kB of \(file.count / 1024) kB resident")
        // Reading a tensor maps its pages again (the check above sees this mapping).
        try withExtendedLifetime(checkpoint) {
            _ = try checkpoint.read(checkpoint.tensors[checkpoint.tensors.count / 2].name)
            #expect(try Self.residentKB(mappingAt: base) ?? 0 > 0)
        }
    }
    #endif
}
