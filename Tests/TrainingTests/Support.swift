import Checkpoints
import Foundation
import Tensors

/// Repository root (three levels above this file).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Fixtures written by `python3 Scripts/fixtures/training_fixtures.py`.
func trainingFixture(_ name: String) -> URL {
    repositoryRoot.appendingPathComponent("Tests/Fixtures/training").appendingPathComponent(name)
}

/// The shared real data, `../shared/data` from the repository root; absent on some machines.
let sharedData = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

func sharedDataExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: sharedData.appendingPathComponent(path).path)
}

/// A fresh temporary folder.
func temporaryFolder(_ tag: String = "training") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// max |a − b| / max(max |b|, floor).
func relativeMaxError(_ a: [Float], _ b: [Float], floor: Float = 1e-12) -> Float {
    precondition(a.count == b.count)
    var err: Float = 0, scale: Float = floor
    for i in 0..<a.count { err = max(err, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return err / scale
}
