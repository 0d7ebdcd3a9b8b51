import Checkpoints
import Foundation
import Tensors
import TestSupport

// Fixtures written by `python3 Scripts/fixtures/clip_fixtures.py` (open_clip 3.3.0, torch 2.15).
let clipFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/clip")

func clipFixture(_ name: String) -> URL { clipFixtures.appendingPathComponent(name) }

/// Folder of the `--full` fixtures (random-init ViT-B-32/B-16), outside git.
let clipFullFixtures: URL = {
    if let env = ProcessInfo.processInfo.environment["LINES_CLIP_FULL"] { return URL(fileURLWithPath: env) }
    return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lines/clip-full")
}()

func readTensor(_ url: URL, _ name: String) throws -> Tensor {
    try SafetensorsFile(url: url).readFloat(name)
}

/// Rewrites a safetensors file with every key transformed by `rename` (dropping `nil`s).
func rewrite(_ source: URL, to target: URL, rename: (String) -> String?) throws {
    let reader = try SafetensorsFile(url: source)
    var pairs: [(String, StoredTensor)] = []
    for info in reader.tensors {
        guard let newName = rename(info.name) else { continue }
        pairs.append((newName, try reader.read(info.name)))
    }
    try SafetensorsWriter.save(pairs, to: target)
}

/// max |a - b| / max row norm of b, over rows.
func relativeMaxError(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape)
    let d = b.shape.last ?? 1
    var worst: Float = 0
    for row in 0..<(b.count / d) {
        var norm: Float = 0, err: Float = 0
        for j in 0..<d {
            let e = b.scalars[row * d + j]
            norm += e * e
            err = max(err, abs(a.scalars[row * d + j] - e))
        }
        worst = max(worst, err / max(norm.squareRoot(), 1e-12))
    }
    return worst
}

func argmaxRows(_ t: Tensor) -> [Int] {
    let c = t.shape[1]
    return (0..<t.shape[0]).map { r in
        let row = t.scalars[(r * c)..<((r + 1) * c)]
        return (row.indices.max { row[$0] < row[$1] } ?? 0) - r * c
    }
}
