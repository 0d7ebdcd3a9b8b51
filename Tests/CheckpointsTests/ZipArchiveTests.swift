import Foundation
import Testing
@testable import Checkpoints

/// Builds small zip files byte by byte, to reach the ZIP64 and damaged-archive paths that real
/// `torch.save` files under 4 GB do not take.
struct ZipBuilder {
    struct Record {
        var name: String
        var data: [UInt8]
        var method: UInt16 = 0
        var localExtra: [UInt8] = []
        var zip64 = false
    }

    var records: [Record] = []
    var comment: [UInt8] = []
    var zip64EndRecord = false

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    static func le64(_ v: Int) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    func build() -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [Int] = []
        for r in records {
            offsets.append(out.count)
            let name = Array(r.name.utf8)
            out += ZipBuilder.le32(0x0403_4B50) + ZipBuilder.le16(20) + ZipBuilder.le16(0) + ZipBuilder.le16(Int(r.method))
            out += ZipBuilder.le32(0) + ZipBuilder.le32(0) + ZipBuilder.le32(r.data.count) + ZipBuilder.le32(r.data.count)
            out += ZipBuilder.le16(name.count) + ZipBuilder.le16(r.localExtra.count) + name + r.localExtra + r.data
        }
        let cdStart = out.count
        for (r, offset) in zip(records, offsets) {
            let name = Array(r.name.utf8)
            let big = 0xFFFF_FFFF
            let extra = r.zip64 ? ZipBuilder.le16(1) + ZipBuilder.le16(24) + ZipBuilder.le64(r.data.count) + ZipBuilder.le64(r.data.count) + ZipBuilder.le64(offset) : []
            out += ZipBuilder.le32(0x0201_4B50) + ZipBuilder.le16(45) + ZipBuilder.le16(45) + ZipBuilder.le16(0) + ZipBuilder.le16(Int(r.method))
            out += ZipBuilder.le32(0) + ZipBuilder.le32(0)
            out += ZipBuilder.le32(r.zip64 ? big : r.data.count) + ZipBuilder.le32(r.zip64 ? big : r.data.count)
            out += ZipBuilder.le16(name.count) + ZipBuilder.le16(extra.count) + ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le16(0)
            out += ZipBuilder.le32(0) + ZipBuilder.le32(r.zip64 ? big : offset) + name + extra
        }
        let cdSize = out.count - cdStart
        if zip64EndRecord {
            let recordOffset = out.count
            out += ZipBuilder.le32(0x0606_4B50) + ZipBuilder.le64(44) + ZipBuilder.le16(45) + ZipBuilder.le16(45) + ZipBuilder.le32(0) + ZipBuilder.le32(0)
            out += ZipBuilder.le64(records.count) + ZipBuilder.le64(records.count) + ZipBuilder.le64(cdSize) + ZipBuilder.le64(cdStart)
            out += ZipBuilder.le32(0x0706_4B50) + ZipBuilder.le32(0) + ZipBuilder.le64(recordOffset) + ZipBuilder.le32(1)
            out += ZipBuilder.le32(0x0605_4B50) + ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le16(0xFFFF) + ZipBuilder.le16(0xFFFF)
            out += ZipBuilder.le32(0xFFFF_FFFF) + ZipBuilder.le32(0xFFFF_FFFF)
        } else {
            out += ZipBuilder.le32(0x0605_4B50) + ZipBuilder.le16(0) + ZipBuilder.le16(0) + ZipBuilder.le16(records.count) + ZipBuilder.le16(records.count)
            out += ZipBuilder.le32(cdSize) + ZipBuilder.le32(cdStart)
        }
        return out + ZipBuilder.le16(comment.count) + comment
    }
}

@Suite("ZipArchive")
struct ZipArchiveTests {
    func open(_ bytes: [UInt8]) throws -> ZipArchive {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-zip-\(UUID().uuidString).zip")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try ZipArchive(file: try MappedFile(url: url))  // the map outlives the unlink
    }

    func contents(_ zip: ZipArchive, _ name: String) throws -> [UInt8]? {
        guard let e = zip.entry(name) else { return nil }
        return [UInt8](try zip.data(e))
    }

    @Test func readsStoredRecordsPastACommentAndLocalExtra() throws {
        var b = ZipBuilder()
        b.records = [.init(name: "a/data.pkl", data: [1, 2, 3], localExtra: [0x46, 0x42, 4, 0, 0x5A, 0x5A, 0x5A, 0x5A]),
                     .init(name: "a/data/0", data: Array(repeating: 7, count: 100))]
        b.comment = Array("PK\u{5}\u{6} a trailing comment, longer than twenty-two bytes".utf8)
        let zip = try open(b.build())
        #expect(zip.entries.map(\.name) == ["a/data.pkl", "a/data/0"])
        #expect(try contents(zip, "a/data.pkl") == [1, 2, 3])
        #expect(try contents(zip, "a/data/0") == Array(repeating: 7, count: 100))
    }

    @Test func readsZip64RecordAndExtraFields() throws {
        var b = ZipBuilder()
        b.records = [.init(name: "z/data.pkl", data: [9, 8], zip64: true), .init(name: "z/data/0", data: [1, 2, 3, 4], zip64: true)]
        b.zip64EndRecord = true
        let zip = try open(b.build())
        #expect(zip.entries.count == 2)
        #expect(try contents(zip, "z/data/0") == [1, 2, 3, 4])
        #expect(zip.entries[1].localHeaderOffset == 30 + 10 + 2)
    }

    @Test func realTorchArchivesCarryZip64EndRecords() throws {
        // torch writes a ZIP64 end record even for small files; rewrite the classic EOCD fields
        // to their ZIP64 markers so the reader must follow the locator.
        var bytes = [UInt8](try Data(contentsOf: torchFixture("dtype_f32.pt")))
        let eocd = bytes.count - 22
        #expect(Array(bytes[eocd..<eocd + 4]) == [0x50, 0x4B, 0x05, 0x06])
        for i in 8..<20 { bytes[eocd + i] = 0xFF }
        let zip = try open(bytes)
        #expect(zip.entries.first?.name == "dtype_f32/data.pkl")
    }

    @Test func compressedRecordsAreRefused() throws {
        var b = ZipBuilder()
        b.records = [.init(name: "a/data.pkl", data: [1], method: 8)]
        let zip = try open(b.build())
        guard let e = zip.entry("a/data.pkl") else { Issue.record("entry missing"); return }
        do {
            _ = try zip.data(e)
            Issue.record("deflated record was accepted")
        } catch let error as CheckpointError {
            #expect(error.description.contains("compression method 8"))
        }
    }

    @Test func damagedArchivesThrow() throws {
        var b = ZipBuilder()
        b.records = [.init(name: "a/data.pkl", data: [1, 2, 3])]
        let good = b.build()
        // Every truncation of the file, and a central directory pointing past the end.
        for n in stride(from: 0, to: good.count, by: 3) {
            #expect(throws: CheckpointError.self) { _ = try open(Array(good[..<n])) }
        }
        var bad = good
        let eocd = bad.count - 22
        bad[eocd + 16] = 0xF0
        #expect(throws: CheckpointError.self) { _ = try open(bad) }
        // A local header offset beyond the file.
        var badLocal = good
        let cd = badLocal.count - 22 - (46 + 10)
        badLocal[cd + 42] = 0xFF
        badLocal[cd + 43] = 0xFF
        let zip = try open(badLocal)
        guard let e = zip.entry("a/data.pkl") else { Issue.record("entry missing"); return }
        #expect(throws: CheckpointError.self) { _ = try zip.data(e) }
    }
}
