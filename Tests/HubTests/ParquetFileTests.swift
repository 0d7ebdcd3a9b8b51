@testable import DatasetDownloads
import Foundation
import TestSupport
import Testing

/// The Parquet reader against files pyarrow wrote (Scripts/fixtures/parquet_fixtures.py): every
/// codec, page version and encoding it offers that Lines reads, nulls, a struct's field; and
/// hostile bytes.
@Suite("Parquet files")
struct ParquetFileTests {
    static let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/parquet")

    struct Expected: Decodable {
        var files: [String]
        var rows: Int
        var id: [Int64?]
        var small: [Int64?]
        var labels: [Int64?]
        var blob: [String?]
        var image: [String?]

        enum CodingKeys: String, CodingKey {
            case files, rows, id, small, labels, blob
            case image = "image.bytes"
        }
    }

    static func bytes(_ hex: [String?]) -> [[UInt8]?] {
        hex.map { h in
            h.map { s in
                var out: [UInt8] = []
                var i = s.startIndex
                while i < s.endIndex {
                    let j = s.index(i, offsetBy: 2)
                    out.append(UInt8(s[i..<j], radix: 16) ?? 0)
                    i = j
                }
                return out
            }
        }
    }

    @Test("every pyarrow variant gives pyarrow's values: Snappy, gzip, none; pages v1 and v2; PLAIN and dictionary; nulls; a struct's bytes")
    func variants() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.folder.appendingPathComponent("variants.json")))
        #expect(expected.files.count == 6)
        for name in expected.files {
            let file = try ParquetFile(url: Self.folder.appendingPathComponent("variants/\(name).parquet"))
            #expect(file.rowCount == expected.rows, "\(name)")
            #expect(try file.column(["id"]) == .integers(expected.id), "\(name)")
            #expect(try file.column(["small"]) == .integers(expected.small), "\(name)")
            #expect(try file.column(["labels"]) == .integers(expected.labels), "\(name)")
            #expect(try file.column(["blob"]) == .binaries(Self.bytes(expected.blob)), "\(name)")
            #expect(try file.column(["image", "bytes"]) == .binaries(Self.bytes(expected.image)), "\(name)")
        }
    }

    @Test("a missing column and a file that is not Parquet are named in one sentence")
    func refusals() throws {
        let url = Self.folder.appendingPathComponent("variants/snappy-v1.parquet")
        let file = try ParquetFile(url: url)
        #expect(throws: ParquetFile.Failure.self) { try file.column(["img_bytes"]) }
        do { _ = try file.column(["img_bytes"]) } catch {
            #expect("\(error)" == "\(url.path) cannot be read as Parquet: it has no column img_bytes (its columns: id, small, labels, blob, image.bytes, image.path)")
        }
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("lines-parquet-\(UUID().uuidString).parquet")
        defer { try? FileManager.default.removeItem(at: text) }
        try Data("a,b\n1,2\n".utf8).write(to: text)
        do { _ = try ParquetFile(url: text); Issue.record("a CSV was read as Parquet") } catch {
            #expect("\(error)" == "\(text.path) cannot be read as Parquet: it does not start and end with PAR1")
        }
    }

    @Test("hostile bytes: truncations and 4,000 mutations of real files end in a sentence or in values, never a crash")
    func hostile() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-parquet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // Knuth's MMIX linear congruential generator: the same mutations on every run.
        var state: UInt64 = 11
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 16
        }
        var refused = 0, read = 0
        for name in ["snappy-v1", "gzip-v2-plain", "small-pages", "snappy-v2"] {
            let original = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("variants/\(name).parquet")))
            for trial in 0..<1000 {
                var bytes = original
                if trial < 40 {
                    bytes = Array(bytes.prefix(bytes.count * trial / 40))
                } else {
                    for _ in 0..<(1 + Int(next() % 4)) {
                        let at = Int(next() % UInt64(bytes.count))
                        bytes[at] = trial % 3 == 0 ? UInt8(truncatingIfNeeded: next()) : bytes[at] ^ (1 << UInt8(next() % 8))
                    }
                }
                let url = work.appendingPathComponent("m.parquet")
                try Data(bytes).write(to: url)
                do {
                    let file = try ParquetFile(url: url, maxRows: 1000)
                    for path in [["id"], ["small"], ["labels"], ["blob"], ["image", "bytes"]] { _ = try file.column(path) }
                    read += 1
                } catch is ParquetFile.Failure {
                    refused += 1
                }
            }
        }
        #expect(refused > 1000 && read > 0, "refused \(refused), read \(read)")
    }
}
