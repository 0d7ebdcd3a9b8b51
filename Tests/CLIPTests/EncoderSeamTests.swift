import Checkpoints
import Foundation
import Tensors
import Testing
@testable import CLIP
import TestSupport

/// The shared pieces behind the encoders: the batch loop, the backend's attention, head saving.
@Suite("encoder batches, the CPU backend and head files")
struct EncoderSeamTests {
    static let stem = "vit_quickgelu"

    @Test("encodeBatches hands each batch's written images on in order; skipped images leave no row")
    func batchesWithSkips() throws {
        let encoder = try VisionTransformer(checkpoint: clipFixture("\(Self.stem).safetensors"))
        let pixels = try readTensor(clipFixture("pixels.safetensors"), "pixels")
        let n = pixels.shape[0], per = pixels.count / n, d = encoder.config.outputDim
        let all = try encoder.encode(pixels, batchSize: n)
        // Batches of 3; every image whose index is 1 mod 3 is "unreadable" and skipped.
        var kept: [Int] = [], rows: [Float] = [], ranges: [Range<Int>] = []
        try encoder.encodeBatches(count: n, batchSize: 3) { range, buffer in
            var written = 0
            for i in range where i % 3 != 1 {
                pixels.scalars.withUnsafeBufferPointer { (buffer + written * per).update(from: $0.baseAddress! + i * per, count: per) }
                kept.append(i)
                written += 1
            }
            return written
        } consume: { range, features in
            ranges.append(range)
            rows += features
        }
        #expect(ranges == stride(from: 0, to: n, by: 3).map { $0..<min(n, $0 + 3) })
        #expect(rows.count == kept.count * d)
        let expected = kept.flatMap { all.scalars[($0 * d)..<(($0 + 1) * d)] }
        #expect(relativeMaxError(rows, expected) <= 1e-5)
    }

    @Test("encodeBatches stops at the first error of fill and rethrows it")
    func batchesRethrow() throws {
        struct Unreadable: Error, Equatable {}
        let encoder = try VisionTransformer(checkpoint: clipFixture("\(Self.stem).safetensors"))
        var consumed = 0
        #expect(throws: Unreadable()) {
            try encoder.encodeBatches(count: 10, batchSize: 4) { range, _ in
                if range.lowerBound == 4 { throw Unreadable() }
                return 0
            } consume: { _, _ in consumed += 1 }
        }
        #expect(consumed == 1)
    }

    @Test("attention with kept probabilities gives the scratch path's context, and keeps softmax rows", arguments: [false, true])
    func attentionKeptEqualsScratch(parallel: Bool) {
        let images = 3, tokens = 5, width = 8, heads = 2
        var rng = SystemRandomNumberGenerator()
        let qkv = (0..<(images * tokens * 3 * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        var a = [Float](repeating: 0, count: images * tokens * width), b = a
        var scratch = [Float](repeating: 0, count: 4 * tokens * tokens)
        var kept = [Float](repeating: 0, count: images * heads * tokens * tokens)
        let backend = CPUBackend(parallel: parallel)
        qkv.withUnsafeBufferPointer { q in
            scratch.withUnsafeMutableBufferPointer { s in
                a.withUnsafeMutableBufferPointer { c in
                    backend.attention(AttentionProblem(qkv: q.baseAddress!, images: images, tokens: tokens, width: width, heads: heads,
                                                       queries: tokens, scores: .scratch(s.baseAddress!, slots: 4), context: c.baseAddress!))
                }
            }
            kept.withUnsafeMutableBufferPointer { k in
                b.withUnsafeMutableBufferPointer { c in
                    backend.attention(AttentionProblem(qkv: q.baseAddress!, images: images, tokens: tokens, width: width, heads: heads,
                                                       queries: tokens, scores: .kept(k.baseAddress!), context: c.baseAddress!))
                }
            }
        }
        #expect(a == b)
        for row in 0..<(images * heads * tokens) {
            let sum = kept[(row * tokens)..<((row + 1) * tokens)].reduce(0, +)
            #expect(abs(sum - 1) < 1e-5, "row \(row) sums to \(sum)")
        }
        // Against a direct Double computation for image 1, head 1, query 2.
        let hd = width / heads, img = 1, h = 1, i = 2
        func at(_ t: Int, _ part: Int, _ j: Int) -> Double { Double(qkv[(img * tokens + t) * 3 * width + part * width + h * hd + j]) }
        let logits = (0..<tokens).map { t in (0..<hd).reduce(0.0) { $0 + at(i, 0, $1) * at(t, 1, $1) } / Double(hd).squareRoot() }
        let m = logits.max()!, e = logits.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
        for j in 0..<hd {
            let expected = (0..<tokens).reduce(0.0) { $0 + e[$1] / z * at($1, 2, j) }
            #expect(abs(Double(a[(img * tokens + i) * width + h * hd + j]) - expected) < 1e-5)
        }
    }

    @Test("a saved head reads back with the same weight, bias and metadata, and replaces an old file whole")
    func headRoundTrip() throws {
        let folder = try temporaryFolder("clip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("head_MNISTVal.safetensors")
        try Data("not a head".utf8).write(to: url)
        let head = try ClassificationHead(weight: Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]),
                                          bias: Tensor(shape: [3], scalars: [0.5, 0, -1]))
        try head.save(to: url, metadata: ["task": "MNIST"])
        let back = try ClassificationHead(checkpoint: url)
        #expect(back.weight == head.weight && back.bias == head.bias)
        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == ["format": "pt", "task": "MNIST"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["head_MNISTVal.safetensors"])
    }
}
