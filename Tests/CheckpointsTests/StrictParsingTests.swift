import Foundation
import Testing
import Tensors
@testable import Checkpoints
import TestSupport

/// Files the reference parsers refuse are refused here too, with a sentence saying why.
@Suite("strict parsing, as safetensors and torch are")
struct StrictParsingTests {
    /// A safetensors file with `header` verbatim (padded to 8) and `data` after it.
    func safetensors(_ header: [UInt8], data: [UInt8] = [0, 0, 128, 63]) throws -> URL {
        var h = header
        while h.count % 8 != 0 { h.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian) { [UInt8]($0) }
        bytes += h + data
        let url = try temporaryFolder().appendingPathComponent("h.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    @Test("safetensors headers the Rust crate refuses: duplicate keys, a BOM, float offsets and shapes, negative numbers",
          arguments: [
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "appears twice"),
            ("\u{FEFF}" + #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "byte-order mark (BOM)"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-0,4]}}"#, "data_offsets"),
            (#"{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#, "shape"),
            (#"{"__metadata__":{"a":"x","a":"y"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, "appears twice"),
          ])
    func strictHeaders(header: String, message: String) throws {
        let url = try safetensors(Array(header.utf8))
        #expect {
            _ = try SafetensorsFile(url: url)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains(url.path)
        }
    }

    @Test("the same header without the fault reads")
    func control() throws {
        let url = try safetensors(Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"format":"pt"}}"#.utf8))
        #expect(try SafetensorsFile(url: url).readFloat("w").scalars == [1])
    }

    @Test("a zip with two records of one name is refused (Python's zipfile reads the last, torch the first)")
    func zipDuplicates() throws {
        // A torch.save archive with its data/0 record appended a second time.
        let src = try bytes(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torch/dtype_f32.pt"))
        let url = try temporaryFolder().appendingPathComponent("dup.pt")
        try Data(Self.duplicatingFirstRecord(src)).write(to: url)
        #expect {
            _ = try TorchCheckpoint(url: url)
        } throws: { error in
            "\(error)".contains("two records named")
        }
    }

    /// Rewrites a stored zip so that its first record appears twice (data and directory entries).
    static func duplicatingFirstRecord(_ zip: [UInt8]) -> [UInt8] {
        func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }
        func put32(_ b: inout [UInt8], _ i: Int, _ v: Int) { for k in 0..<4 { b[i + k] = UInt8((v >> (8 * k)) & 0xFF) } }
        func put16(_ b: inout [UInt8], _ i: Int, _ v: Int) { for k in 0..<2 { b[i + k] = UInt8((v >> (8 * k)) & 0xFF) } }
        var eocd = zip.count - 22
        while u32(zip, eocd) != 0x0605_4B50 { eocd -= 1 }
        let cdOffset = u32(zip, eocd + 16), cdSize = u32(zip, eocd + 12), count = u16(zip, eocd + 10)
        // First local record: header + name + extra + data.
        let nameLen = u16(zip, 26), extraLen = u16(zip, 28), size = u32(zip, 18)
        let local = Array(zip[0..<(30 + nameLen + extraLen + size)])
        // First central entry.
        let cNameLen = u16(zip, cdOffset + 28), cExtra = u16(zip, cdOffset + 30), cComment = u16(zip, cdOffset + 32)
        var central = Array(zip[cdOffset..<(cdOffset + 46 + cNameLen + cExtra + cComment)])
        let newLocalOffset = cdOffset
        put32(&central, 42, newLocalOffset)
        var out = Array(zip[0..<cdOffset]) + local
        let newCD = out.count
        out += Array(zip[cdOffset..<(cdOffset + cdSize)]) + central
        var tail = Array(zip[eocd..<(eocd + 22)])
        put16(&tail, 8, count + 1); put16(&tail, 10, count + 1)
        put32(&tail, 12, cdSize + central.count); put32(&tail, 16, newCD)
        return out + tail
    }

    static let hostile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/hostile")

    @Test("a stride-0 view that would expand 4 bytes into 8 GiB is refused before allocating; convert writes nothing")
    func strideZero() throws {
        let url = Self.hostile.appendingPathComponent("stride0.pt")
        let r = try TorchCheckpoint(url: url)
        #expect(r.tensors.first?.shape == [1 << 31])
        #expect(r.mapped("w") == nil)
        #expect {
            _ = try r.read("w")
        } throws: { error in
            "\(error)".contains("more than the whole") && "\(error)".contains("'w'")
        }
        let out = try temporaryFolder().appendingPathComponent("o.safetensors")
        #expect(throws: CheckpointError.self) { try CheckpointConverter.convert(r, to: out) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("a FIFO is refused at once instead of blocking; text named .pt is called text; an empty weight_map is an error")
    func nonCheckpoints() throws {
        let dir = try temporaryFolder()
        let fifo = dir.appendingPathComponent("pipe.safetensors")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect {
            _ = try Checkpoint.open(fifo)
        } throws: { error in "\(error)".contains("not a regular file") }
        let text = dir.appendingPathComponent("model.pt")
        try Data("hello world, not a model\n".utf8).write(to: text)
        #expect {
            _ = try Checkpoint.open(text)
        } throws: { error in "\(error)".contains("plain text") && !"\(error)".contains("header length") }
        let shards = dir.appendingPathComponent("shards")
        try FileManager.default.createDirectory(at: shards, withIntermediateDirectories: true)
        try Data(#"{"metadata": {}, "weight_map": {}}"#.utf8).write(to: shards.appendingPathComponent("model.safetensors.index.json"))
        #expect {
            _ = try Checkpoint.open(shards)
        } throws: { error in "\(error)".contains("'weight_map' is empty") }
    }
}
