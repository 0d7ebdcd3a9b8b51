import CLIP
import Checkpoints
import Experiments
import Foundation
import Tensors
import Testing

/// `lines run` builds a missing head from `clip_checkpoint`'s text tower, as the reference does.
@Suite("missing heads are built from text", .serialized)
struct HeadBuildingTests {
    /// A random open_clip text tower (width 64, one block, 77 positions, projection to 16 — the
    /// fixture encoder's feature size) over a tiny tokenizer's 515 ids, written as safetensors.
    static func writeTextTower(to url: URL) throws {
        var seed: UInt64 = 42
        func random(_ shape: [Int], scale: Float = 0.05) -> StoredTensor {
            let n = shape.reduce(1, *)
            let values: [Float] = (0..<n).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
            return StoredTensor(Tensor(shape: shape, scalars: values))
        }
        func ones(_ n: Int) -> StoredTensor { StoredTensor(Tensor(shape: [n], repeating: 1)) }
        let w = 64
        let b = "transformer.resblocks.0."
        try SafetensorsWriter.save([
            ("token_embedding.weight", random([515, w])), ("positional_embedding", random([77, w], scale: 0.01)),
            (b + "ln_1.weight", ones(w)), (b + "ln_1.bias", random([w])),
            (b + "attn.in_proj_weight", random([3 * w, w])), (b + "attn.in_proj_bias", random([3 * w])),
            (b + "attn.out_proj.weight", random([w, w])), (b + "attn.out_proj.bias", random([w])),
            (b + "ln_2.weight", ones(w)), (b + "ln_2.bias", random([w])),
            (b + "mlp.c_fc.weight", random([4 * w, w])), (b + "mlp.c_fc.bias", random([4 * w])),
            (b + "mlp.c_proj.weight", random([w, 4 * w])), (b + "mlp.c_proj.bias", random([w])),
            ("ln_final.weight", ones(w)), ("ln_final.bias", random([w])),
            ("text_projection", random([w, 16], scale: 0.2)),
            ("logit_scale", StoredTensor(Tensor(shape: [], scalars: [Float(log(100.0))]))),
        ], to: url)
    }

    @Test("a run without head_KMNISTVal builds it with the task's templates, saves it, and uses it")
    func buildsMissingHead() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let clip = ws.root.appendingPathComponent("clip_text.safetensors")
        try Self.writeTextTower(to: clip)
        let bpe = ws.root.appendingPathComponent("merges.txt")
        try "#version: test\nt h\n".write(to: bpe, atomically: true, encoding: .utf8)
        let head = ws.modelLocation.appendingPathComponent("tiny/head_KMNISTVal.safetensors")
        try FileManager.default.removeItem(at: head)

        // Without clip_checkpoint: one sentence that says how to get the head.
        do {
            try ExperimentRunner(config: ws.config(["method=zeroshot"])).preflight()
            Issue.record("a missing head was not reported")
        } catch let e as ExperimentError {
            #expect(e.description.hasPrefix("Missing the classification head of KMNIST (or set clip_checkpoint=PATH"))
        }
        let outcome = try ExperimentRunner(config: ws.config(["method=zeroshot", "clip_checkpoint=\(clip.path)", "bpe_path=\(bpe.path)"])).run()
        #expect(FileManager.default.fileExists(atPath: head.path))
        let built = try ClassificationHead(checkpoint: head)
        let builder = try ZeroShotHeadBuilder(encoder: try TextTransformer(checkpoint: clip), tokenizer: try CLIPTokenizer(mergesFile: bpe))
        let expected = try builder.head(classNames: ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
                                        templates: ["a photo of the character {}."])
        #expect(built.weight == expected.weight)
        #expect(built.weight.shape == [10, 16])
        if case .number? = outcome.document["test"]?["KMNIST:top1"] {} else { Issue.record("no KMNIST result") }
    }
}
