import Foundation
import Testing
import Tensors
@testable import Checkpoints
import TestSupport

/// Tensors written in parts from several places (the streamed merges), with write-back started
/// on parts as they are done.
@Suite("tensor writers: parts, write-back hints")
struct PartialWritesTests {
    @Test("parts written out of order with write-back started on some (and on ranges outside the tensor, ignored) give the tensor's bytes",
          arguments: [false, true])
    func partsAndWriteback(sharded: Bool) throws {
        let n = 5000
        let values = (0..<n).map { Float($0) * 0.25 - 100 }
        let infos = [TensorInfo(name: "a", dtype: .f32, shape: [n]), TensorInfo(name: "b", dtype: .f32, shape: [3])]
        let dir = try temporaryFolder("parts")
        let url = dir.appendingPathComponent(sharded ? "model" : "model.safetensors")
        var writer = try makeTensorWriter(url: url, tensors: infos, maxShardSize: sharded ? 8192 : nil)
        let bytes = values.withUnsafeBytes { Array($0) }
        for start in stride(from: 0, to: bytes.count, by: 4000).reversed() {
            let end = min(start + 4000, bytes.count)
            try bytes[start..<end].withUnsafeBytes { try writer.writePart("a", bytes: $0, at: start) }
            writer.startWriteback("a", bytes: start..<end)
        }
        writer.startWriteback("a", bytes: 0..<(bytes.count + 1))   // past the tensor: ignored
        writer.startWriteback("missing", bytes: 0..<4)             // no such tensor: ignored
        writer.markWritten("a")
        try [Float(1), 2, 3].withUnsafeBufferPointer { try writer.write("b", floats: $0) }
        try writer.finish()
        let read = try Checkpoint.open(url)
        #expect(try read.readFloat("a").scalars == values)
        #expect(try read.readFloat("b").scalars == [1, 2, 3])
    }
}
