import Checkpoints
import Datasets
import Foundation
import Tensors
import TestSupport

/// Repository root.
let repositoryRoot = TestPaths.repositoryRoot

/// Fixtures written by `python3 Scripts/fixtures/image_fixtures.py`.
let imageFixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/images")

/// The shared real data, `../shared/data` from the repository root; absent on some machines.
let sharedData = TestPaths.sharedData

func fixture(_ name: String) -> URL { imageFixtures.appendingPathComponent(name) }

/// The expected outputs of Pillow and torchvision, opened once.
let expected: SafetensorsFile? = try? SafetensorsFile(url: fixture("expected.safetensors"))

enum FixtureError: Error { case missing(String) }

func expectedFile() throws -> SafetensorsFile {
    guard let file = expected else { throw FixtureError.missing("Tests/Fixtures/images/expected.safetensors") }
    return file
}

/// A U8 [H, W, 3] (or [N, H, W, (3)]) reference tensor's bytes and shape.
func bytesTensor(_ file: SafetensorsFile, _ name: String) throws -> (bytes: [UInt8], shape: [Int]) {
    let t = try file.read(name)
    return (t.data, t.shape)
}

func floats(_ file: SafetensorsFile, _ name: String) throws -> [Float] {
    try file.read(name).floatTensor().scalars
}

/// Largest absolute difference between two byte arrays of equal length.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    precondition(a.count == b.count)
    var m = 0
    for i in a.indices { m = max(m, abs(Int(a[i]) - Int(b[i]))) }
    return m
}

/// The fixture script's checksum: sum of `a[i] * (i % 65521 + 1)` in Int64.
func checksum(_ a: [UInt8]) -> Int64 {
    a.withUnsafeBufferPointer { weightedSum($0) }
}

private func weightedSum(_ p: UnsafeBufferPointer<UInt8>) -> Int64 {
    var s: Int64 = 0
    var weight: Int64 = 1
    for v in p {
        s &+= Int64(v) &* weight
        weight = weight == 65521 ? 1 : weight &+ 1
    }
    return s
}

/// Int64 values of an I64 tensor.
func int64s(_ t: StoredTensor) -> [Int64] {
    t.data.withUnsafeBytes { raw in
        (0..<(t.data.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
    }
}

/// Parses a metadata entry `{"case": [source, a, b?]}` written by the fixture script.
func cases(_ key: String) throws -> [(name: String, source: String, numbers: [Int])] {
    let file = try expectedFile()
    guard let json = file.metadata[key], let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [Any]] else {
        throw FixtureError.missing("metadata \(key)")
    }
    return object.keys.sorted().compactMap { name in
        guard let entry = object[name], let source = entry.first as? String else { return nil }
        return (name, source, entry.dropFirst().compactMap { $0 as? Int })
    }
}
