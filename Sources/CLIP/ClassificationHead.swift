import Checkpoints
import Foundation
import Tensors

/// A frozen zero-shot classification head: `logits = W · normalize(features) + b`.
///
/// As the reference's `ClassificationHead(normalize=True)` (spec §4.3): image features are
/// L2-normalised first (`F.normalize`, eps 1e-12), and `W` already includes the logit scale
/// (≈ 100 for OpenAI CLIP), so logits are 100 · cos(image, class).
public struct ClassificationHead: Sendable {
    /// Class vectors times the logit scale, [C, D].
    public let weight: Tensor
    /// Per-class offsets, [C] (zero in the reference's heads).
    public let bias: Tensor
    /// Where the head was loaded from (`"memory"` when built from tensors).
    public let source: String

    /// Number of classes C.
    public var classCount: Int { weight.shape[0] }
    /// Width D of the features the head takes.
    public var inputDim: Int { weight.shape[1] }

    /// Builds a head from tensors.
    /// - Parameters:
    ///   - weight: [C, D] scale-included class vectors.
    ///   - bias: [C], or `nil` for zeros.
    /// - Throws: ``CLIPError/notAClassificationHead(path:reason:)`` when the shapes disagree.
    public init(weight: Tensor, bias: Tensor? = nil, source: String = "memory") throws {
        guard weight.rank == 2, weight.shape[0] > 0, weight.shape[1] > 0 else {
            throw CLIPError.notAClassificationHead(path: source, reason: "'weight' has shape \(weight.shape), not [classes, features]")
        }
        let b = bias ?? Tensor(shape: [weight.shape[0]])
        guard b.shape == [weight.shape[0]] else {
            throw CLIPError.notAClassificationHead(path: source, reason: "'bias' has shape \(b.shape) but 'weight' has \(weight.shape[0]) classes")
        }
        self.weight = weight
        self.bias = b
        self.source = source
    }

    /// Loads a head from any checkpoint with `weight` [C, D] and optional `bias` [C]: the
    /// reference's pickled `ClassificationHead` (`head_{X}Val.pt`), its state dict, or safetensors.
    ///
    /// A single rank-2 tensor whose name ends in `.weight` (with its `.bias`) is accepted too.
    /// - Throws: ``CLIPError/notAClassificationHead(path:reason:)``, or ``CheckpointError``.
    public init(checkpoint url: URL) throws {
        let reader = try Checkpoint.open(url)
        let names = Set(reader.tensors.map(\.name))
        var weightKey = "weight"
        if !names.contains(weightKey) {
            let candidates = reader.tensors.filter { $0.name.hasSuffix(".weight") && $0.shape.count == 2 }
            guard candidates.count == 1 else {
                throw CLIPError.notAClassificationHead(
                    path: url.path,
                    reason: "it has no 'weight' tensor [classes, features] (found \(reader.tensors.count) tensors\(reader.tensors.first.map { ", first '\($0.name)'" } ?? ""))")
            }
            weightKey = candidates[0].name
        }
        let biasKey = String(weightKey.dropLast("weight".count)) + "bias"
        let weight = try reader.readFloat(weightKey)
        let bias = names.contains(biasKey) ? try reader.readFloat(biasKey) : nil
        try self.init(weight: weight, bias: bias, source: url.path)
    }

    /// Writes the head as a safetensors file with `weight` [C, D] and `bias` [C] (float32), which
    /// ``init(checkpoint:)`` and the reference's `torch.load` + `ClassificationHead` both read;
    /// written to a temporary file and renamed, so an existing head is never left half-written.
    /// - Parameter metadata: the header's `__metadata__` (`format: pt` is always included).
    /// - Throws: ``CheckpointError`` when the file cannot be written.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafetensorsWriter.save([("weight", StoredTensor(weight)), ("bias", StoredTensor(bias))],
                                   metadata: metadata.merging(["format": "pt"]) { given, _ in given }, to: url)
    }

    /// Checks that the head takes the features `encoder` produces.
    /// - Throws: ``CLIPError/headWidthMismatch(head:headWidth:encoder:encoderDim:)``.
    public func validate(for encoder: VisionTransformer) throws {
        guard inputDim == encoder.config.outputDim else {
            throw CLIPError.headWidthMismatch(head: source, headWidth: inputDim,
                                              encoder: encoder.source.path, encoderDim: encoder.config.outputDim)
        }
    }

    /// Logits `[N, C]` of features `[N, D]`: `W · (f / max(‖f‖₂, 1e-12)) + b` per row.
    /// - Throws: ``CLIPError/headWidthMismatch(head:headWidth:encoder:encoderDim:)`` when D differs.
    public func logits(_ features: Tensor) throws -> Tensor {
        guard features.rank == 2, features.shape[1] == inputDim else {
            throw CLIPError.headWidthMismatch(head: source, headWidth: inputDim, encoder: "features",
                                              encoderDim: features.shape.last ?? 0)
        }
        let n = features.shape[0], d = inputDim, c = classCount
        var normalized = features
        normalized.scalars.withUnsafeMutableBufferPointer { f in
            guard let fp = f.baseAddress else { return }
            for row in 0..<n {
                let r = fp + row * d
                var sq: Float = 0
                for j in 0..<d { sq += r[j] * r[j] }
                let inv = 1 / max(sq.squareRoot(), 1e-12)
                for j in 0..<d { r[j] *= inv }
            }
        }
        var out = Tensor(shape: [n, c])
        guard n > 0 else { return out }
        out.scalars.withUnsafeMutableBufferPointer { o in
            normalized.scalars.withUnsafeBufferPointer { a in
                weight.scalars.withUnsafeBufferPointer { w in
                    bias.scalars.withUnsafeBufferPointer { b in
                        guard let op = o.baseAddress, let ap = a.baseAddress, let wp = w.baseAddress,
                              let bp = b.baseAddress else { return }
                        for row in 0..<n { (op + row * c).update(from: bp, count: c) }
                        BLAS.sgemm(transposeB: true, m: n, n: c, k: d, a: ap, lda: d, b: wp, ldb: d,
                                   beta: 1, c: op, ldc: c)
                    }
                }
            }
        }
        return out
    }

    /// The `k` highest-scoring classes of one row of logits, best first, with softmax probabilities.
    public static func top(_ k: Int, of logits: ArraySlice<Float>) -> [ClassScore] {
        guard let mx = logits.max() else { return [] }
        let exps = logits.map { Foundation.exp(Double($0 - mx)) }
        let total = exps.reduce(0, +)
        let base = logits.startIndex
        return logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            .prefix(max(0, k))
            .map { ClassScore(index: $0 - base, logit: logits[$0], probability: Float(exps[$0 - base] / total)) }
    }
}
