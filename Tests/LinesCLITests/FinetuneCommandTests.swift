import ArgumentParser
import CLIP
import Checkpoints
import Foundation
import Tensors
import Testing
@testable import LinesCLI

/// `lines finetune` in tiny-model mode on a small synthetic MNIST (IDX files in the reference's
/// layout): the reference's output files appear, load as encoders, and `--resume` continues.
@Suite("lines finetune")
struct FinetuneCommandTests {
    init() { setenv("LINES_KEEP_BLAS_CORE", "1", 1) }

    /// `count` random 28×28 digits with labels `i % 10`, as IDX files.
    static func writeIDX(_ folder: URL, stem: String, count: Int, seed: UInt8) throws {
        var images: [UInt8] = [0, 0, 8, 3] + [0, 0, 0, UInt8(count), 0, 0, 0, 28, 0, 0, 0, 28]
        var state = UInt32(seed) &+ 1
        for _ in 0..<(count * 784) { state = state &* 1_664_525 &+ 1_013_904_223; images.append(UInt8(state >> 24)) }
        let labels: [UInt8] = [0, 0, 8, 1] + [0, 0, 0, UInt8(count)] + (0..<count).map { UInt8($0 % 10) }
        try Data(images).write(to: folder.appendingPathComponent("\(stem)-images-idx3-ubyte"))
        try Data(labels).write(to: folder.appendingPathComponent("\(stem)-labels-idx1-ubyte"))
    }

    @Test("tiny mode writes zero-shot and fine-tuned .pt and .safetensors, head and state files that load; --resume at the end trains no more")
    func tinyRun() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lines-finetune-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let raw = root.appendingPathComponent("data/MNIST/raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try Self.writeIDX(raw, stem: "train", count: 60, seed: 1)
        try Self.writeIDX(raw, stem: "t10k", count: 20, seed: 2)
        let models = root.appendingPathComponent("models")
        let args = ["--tiny", "16,1,1,7,28,8", "--task", "MNIST", "--data-location", root.appendingPathComponent("data").path,
                    "--model-location", models.path, "--steps", "4", "--batch-size", "8", "--lr", "1e-3", "--warmup", "2",
                    "--checkpoint-every", "2", "--log-every", "2", "--seed", "3"]
        var command = try Finetune.parseAsRoot(args)
        try command.run()
        let folder = models.appendingPathComponent("tiny/MNISTVal")
        let zeroshot = try VisionTransformer(checkpoint: folder.appendingPathComponent("nonlinear_zeroshot.safetensors"))
        let finetuned = try VisionTransformer(checkpoint: folder.appendingPathComponent("nonlinear_finetuned.safetensors"))
        #expect(finetuned.config == zeroshot.config)
        #expect(finetuned.config.width == 16 && finetuned.config.imageSize == 28 && finetuned.config.outputDim == 8)
        let head = try ClassificationHead(checkpoint: models.appendingPathComponent("tiny/head_MNISTVal.safetensors"))
        #expect(head.classCount == 10 && head.inputDim == 8)
        let a = try Checkpoint.open(folder.appendingPathComponent("nonlinear_zeroshot.safetensors")).readFloat("model.visual.proj")
        let b = try Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.safetensors")).readFloat("model.visual.proj")
        #expect(a != b, "training changed nothing")
        let pt = try VisionTransformer(checkpoint: folder.appendingPathComponent("nonlinear_finetuned.pt"))
        #expect(pt.config == finetuned.config)
        #expect(try Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.pt")).readFloat("model.visual.proj") == b)
        let state = try SafetensorsFile(url: folder.appendingPathComponent("finetune_state.safetensors"))
        #expect(state.metadata["step"] == "4")

        var again = try Finetune.parseAsRoot(args + ["--resume"])
        try again.run()
        let c = try Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.safetensors")).readFloat("model.visual.proj")
        #expect(c == b, "resuming a finished run must not train further")
    }

    @Test("from a reference-layout .pt encoder: text-tower leftovers are saved unchanged, the tower trains")
    func fromCheckpoint() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lines-finetune-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let raw = root.appendingPathComponent("data/MNIST/raw")
        try FileManager.default.createDirectory(at: raw, withIntermediateDirectories: true)
        try Self.writeIDX(raw, stem: "train", count: 30, seed: 4)
        try Self.writeIDX(raw, stem: "t10k", count: 10, seed: 5)
        let clip = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/clip")
        var command = try Finetune.parseAsRoot([
            "--model", clip.appendingPathComponent("vit_quickgelu.pt").path,
            "--head", clip.appendingPathComponent("vit_quickgelu_head.safetensors").path,
            "--task", "MNISTVal", "--data-location", root.appendingPathComponent("data").path,
            "--model-location", root.appendingPathComponent("models").path, "--model-name", "ViT-tiny",
            "--steps", "2", "--batch-size", "4", "--lr", "1e-3", "--warmup", "1", "--format", "pt"])
        try command.run()
        let folder = root.appendingPathComponent("models/ViT-tiny/MNISTVal")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("nonlinear_finetuned.safetensors").path))
        let source = try Checkpoint.open(clip.appendingPathComponent("vit_quickgelu.safetensors"))
        let tuned = try Checkpoint.open(folder.appendingPathComponent("nonlinear_finetuned.pt"))
        let zeroshot = try Checkpoint.open(folder.appendingPathComponent("nonlinear_zeroshot.pt"))
        #expect(Set(tuned.tensors.map(\.name)) == Set(source.tensors.map(\.name)))
        for name in ["model.logit_scale", "model.token_embedding.weight", "model.ln_final.weight"] {
            #expect(try tuned.readFloat(name) == source.readFloat(name), "\(name) must stay at θ0")
        }
        #expect(try zeroshot.readFloat("model.visual.proj") == source.readFloat("model.visual.proj"))
        #expect(try tuned.readFloat("model.visual.proj") != source.readFloat("model.visual.proj"))

        // As the reference: `--model NAME` starts from {M}/NAME/MNISTVal/nonlinear_zeroshot.pt
        // and takes the head {M}/NAME/head_{X}Val.*.
        try FileManager.default.copyItem(at: clip.appendingPathComponent("vit_quickgelu_head.safetensors"),
                                         to: root.appendingPathComponent("models/ViT-tiny/head_MNISTVal.safetensors"))
        var byName = try Finetune.parseAsRoot([
            "--model", "ViT-tiny", "--task", "MNIST", "--data-location", root.appendingPathComponent("data").path,
            "--model-location", root.appendingPathComponent("models").path,
            "--steps", "1", "--batch-size", "4", "--format", "safetensors"])
        try byName.run()
        let again = try Checkpoint.open(folder.appendingPathComponent("nonlinear_zeroshot.safetensors"))
        #expect(try again.readFloat("model.visual.proj") == source.readFloat("model.visual.proj"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("nonlinear_finetuned.safetensors").path))
    }

    @Test("--model and --tiny together are refused")
    func exclusive() {
        #expect(throws: (any Error).self) {
            _ = try Finetune.parseAsRoot(["--tiny", "16,1,1,7,28", "--model", "/dev/null", "--task", "MNIST",
                                          "--data-location", "/tmp", "--model-location", "/tmp"])
        }
    }
}
