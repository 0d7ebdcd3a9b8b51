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

@Suite("an existing output that is not a checkpoint is kept unless --force")
struct ReplaceableOutputTests {
    @Test("checkpoints and empty files are replaceable; text, images, links and FIFOs are refused without force")
    func kinds() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-replace-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let st = dir.appendingPathComponent("old.safetensors")
        try SafetensorsWriter.save([("w", StoredTensor(dtype: .f32, shape: [2], data: [UInt8](repeating: 0, count: 8)))], to: st)
        let pt = dir.appendingPathComponent("old.pt")
        try Data([0x50, 0x4B, 3, 4] + [UInt8](repeating: 0, count: 40)).write(to: pt)
        let npy = dir.appendingPathComponent("old.npy")
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0]).write(to: npy)
        let empty = dir.appendingPathComponent("empty.safetensors")
        try Data().write(to: empty)
        for ok in [st, pt, npy, empty, dir.appendingPathComponent("new.safetensors"), dir] {
            try OutputSafety.checkReplaceable(file: ok, force: false)
        }
        let notes = dir.appendingPathComponent("notes.safetensors")
        try Data("my experiment notes\n".utf8).write(to: notes)
        let jpeg = dir.appendingPathComponent("photo.safetensors")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]).write(to: jpeg)
        // A safetensors-looking length that the file cannot hold is not a checkpoint either.
        let torn = dir.appendingPathComponent("torn.safetensors")
        try Data([0xFF, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: torn)
        let link = dir.appendingPathComponent("link.safetensors")
        try fm.createSymbolicLink(at: link, withDestinationURL: st)
        let fifo = dir.appendingPathComponent("fifo.safetensors")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let expected: [(URL, String)] = [
            (notes, "exists and is not a checkpoint (it starts with the text \"my experiment no\")"),
            (jpeg, "(a JPEG image)"), (torn, "is not a checkpoint"),
            (link, "is a symbolic link"), (fifo, "not a regular file"),
        ]
        for (url, text) in expected {
            #expect {
                try OutputSafety.checkReplaceable(file: url, force: false, flag: "-o")
            } throws: { error in
                let message = "\(error)"
                return message.contains(text) && message.contains("-o") && message.contains("--force")
            }
            try OutputSafety.checkReplaceable(file: url, force: true)
        }
        #expect(try String(contentsOf: notes, encoding: .utf8) == "my experiment notes\n")
    }
}

@Suite("a file truncated while memory-mapped")
struct TruncatedMappingTests {
    @Test("reads past the new end give zeros instead of SIGBUS, and the file is reported as truncated")
    func truncatedWhileMapped() throws {
        let fm = FileManager.default
        let url = fm.temporaryDirectory.appendingPathComponent("lines-trunc-\(UUID().uuidString).safetensors")
        defer { try? fm.removeItem(at: url) }
        let n = 1 << 20
        let values = (0..<n).map { Float($0 % 1000) + 1 }
        try SafetensorsWriter.save([("a", StoredTensor(dtype: .f32, shape: [n], data: values.withUnsafeBytes { [UInt8]($0) })),
                                    ("b", StoredTensor(dtype: .f32, shape: [n], data: values.withUnsafeBytes { [UInt8]($0) }))], to: url)
        let reader = try SafetensorsFile(url: url)
        let file = try MappedFile(url: url)
        #expect(!file.truncatedWhileMapped)
        try file.checkIntact()
        // Keep the header and tensor a, drop all of b but its first page.
        let size = file.count - 4 * n + 4096
        #expect(truncate(url.path, off_t(size)) == 0)
        let tail = file.bytes((file.count - 64)..<file.count)
        #expect(tail.allSatisfy { $0 == 0 })
        #expect(file.truncatedWhileMapped)
        #expect {
            try file.checkIntact()
        } throws: { error in
            "\(error)".contains("truncated while Lines was reading it (\(size) bytes now, \(file.count) bytes when opened)")
                && "\(error)".contains(url.path)
        }
        #expect(throws: CheckpointError.self) { try MappedFile.checkNoneTruncated() }
        // The reader's own mapping of the same file: a is intact, b reads as zeros past the cut.
        let a = try reader.readFloat("a"), b = try reader.readFloat("b")
        #expect(a.scalars == values)
        #expect(Array(b.scalars.prefix(1024)) == Array(values.prefix(1024)))
        #expect(b.scalars.suffix(1024).allSatisfy { $0 == 0 })
    }
}

@Suite("files read through the guarded map (datasets, caches)")
struct GuardedContentsTests {
    struct Unreadable: Error, CustomStringConvertible { var description: String }

    func file(_ bytes: Int) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-guarded-\(UUID().uuidString).bin")
        try Data((0..<bytes).map { UInt8(1 + $0 % 251) }).write(to: url)
        return url
    }

    @Test("a mapped file (over 1 MiB) cut while it is read: the cut is reported, also in place of the body's own error, never a SIGBUS")
    func cutWhileRead() throws {
        let url = try file(2 << 20)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try MappedFile.withContents(of: url, unreadable: { Unreadable(description: $0) }) { $0.reduce(0) { $0 + Int($1) } } > 0)
        for bodyThrows in [false, true] {
            try Data((0..<(2 << 20)).map { UInt8(1 + $0 % 251) }).write(to: url)
            #expect {
                try MappedFile.withContents(of: url, unreadable: { Unreadable(description: $0) }) { bytes -> Int in
                    #expect(truncate(url.path, 8192) == 0)
                    // Past the cut: zeros (the guard), which a parser would reject as malformed.
                    let tail = bytes[(bytes.count - 16)...]
                    if bodyThrows, tail.allSatisfy({ $0 == 0 }) { throw Unreadable(description: "malformed: zeros") }
                    return Int(tail.reduce(0) { $0 + Int($1) })
                }
            } throws: { error in
                "\(error)".contains("truncated while Lines was reading it (8192 bytes now, 2097152 bytes when opened)")
            }
        }
        // The cut is remembered: later commits of this process fail naming the file.
        #expect(MappedFile.truncatedPaths.contains(url.path))
    }

    @Test("a reader that drops what it read (a cache miss) does not leave the cut to fail later commits")
    func cutAndDropped() throws {
        let url = try file(2 << 20)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: Unreadable.self) {
            try MappedFile.withContents(of: url, unreadable: { Unreadable(description: $0) }, dropsOnFailure: true) { bytes -> Int in
                #expect(truncate(url.path, 8192) == 0)
                return Int(bytes[bytes.count - 1])
            }
        }
        #expect(!MappedFile.truncatedPaths.contains(url.path))
    }

    @Test("a FIFO is refused before it is opened (a read would block); small files are read whole; the Data view outlives its MappedFile")
    func fifoAndData() throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("lines-guarded-\(UUID().uuidString).fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        defer { try? FileManager.default.removeItem(at: fifo) }
        #expect {
            try MappedFile.withContents(of: fifo, unreadable: { Unreadable(description: $0) }) { $0.count }
        } throws: { "\($0)".contains("not a regular file") }
        let url = try file(10_000)
        defer { try? FileManager.default.removeItem(at: url) }
        // Up to 1 MiB the file is read, not mapped: the same bytes, and the body's result.
        let small = try MappedFile.withContents(of: url, unreadable: { Unreadable(description: $0) }) { Data($0) }
        #expect(small == Data((0..<10_000).map { UInt8(1 + $0 % 251) }))
        #expect(try MappedFile.withContents(of: try file(0), unreadable: { Unreadable(description: $0) }) { $0.count } == 0)
        // `bytes(of:)`: the file's bytes whether read (≤ 1 MiB) or mapped, and a FIFO refused.
        let big = try file(3 << 19)
        defer { try? FileManager.default.removeItem(at: big) }
        #expect(try MappedFile.bytes(of: url, unreadable: { Unreadable(description: $0) }) == [UInt8](small))
        #expect(try MappedFile.bytes(of: big, unreadable: { Unreadable(description: $0) }) == (0..<(3 << 19)).map { UInt8(1 + $0 % 251) })
        #expect { try MappedFile.bytes(of: fifo, unreadable: { Unreadable(description: $0) }) } throws: { "\($0)".contains("not a regular file") }
        let data = try MappedFile(url: url).data
        #expect(data == Data((0..<10_000).map { UInt8(1 + $0 % 251) }))
        #expect(try MappedFile(url: try file(0)).data.isEmpty)
    }
}
