import ArgumentParser
import Checkpoints
import Foundation
import Tensors
import Testing
@testable import LinesCLI

// Fixtures from `python3 Scripts/fixtures/clip_fixtures.py`.
private let clip = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/clip")

@Suite("lines embed and lines predict")
struct CLIPCommandTests {
    init() {
        // The commands restart the process to pick faster OpenBLAS kernels; not inside tests.
        setenv("LINES_KEEP_BLAS_CORE", "1", 1)
    }

    @Test("embed --pixels writes open_clip's features [N, D] with the activation in the metadata")
    func embedPixels() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("lines-embed-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        var command = try Embed.parseAsRoot([
            "--model", clip.appendingPathComponent("vit_gelu.safetensors").path, "--activation", "gelu",
            "--pixels", clip.appendingPathComponent("pixels.safetensors").path, "-o", out.path, "--batch-size", "4",
        ])
        try command.run()
        let written = try SafetensorsFile(url: out)
        #expect(written.metadata["activation"] == "gelu")
        let features = try written.readFloat("features")
        let expected = try SafetensorsFile(url: clip.appendingPathComponent("vit_gelu_expected.safetensors")).readFloat("features")
        #expect(features.shape == expected.shape)
        let err = zip(features.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(err < 1e-4)
    }

    @Test("predict --pixels runs end to end; the default activation is quickgelu and --help says so")
    func predictPixels() throws {
        var command = try Predict.parseAsRoot([
            "--model", clip.appendingPathComponent("vit_quickgelu.safetensors").path,
            "--head", clip.appendingPathComponent("vit_quickgelu_head.safetensors").path,
            "--pixels", clip.appendingPathComponent("pixels.safetensors").path, "--top", "3",
        ])
        #expect((command as? Predict)?.encoder.activation == .quickGELU)
        try command.run()
        let help = Predict.helpMessage()
        #expect(help.contains("--activation") && help.contains("quickgelu"))
    }

    @Test("embed --images stops at an image it cannot decode, naming the file")
    func embedBadImage() throws {
        let bad = clip.appendingPathComponent("VERSIONS.json").path
        var command = try Embed.parseAsRoot([
            "--model", clip.appendingPathComponent("vit_gelu.safetensors").path, "--activation", "gelu",
            "--images", bad, "-o", FileManager.default.temporaryDirectory.appendingPathComponent("unused.safetensors").path,
        ])
        #expect {
            try command.run()
        } throws: { error in
            String(describing: error).contains(bad)
        }
    }

    @Test("embed refuses both or neither input, before loading anything")
    func embedValidation() {
        #expect(throws: (any Error).self) {
            _ = try Embed.parseAsRoot(["--model", clip.appendingPathComponent("vit_gelu.safetensors").path, "-o", "x.safetensors"])
        }
    }

    @Test("predict with a head of the wrong width fails naming both files")
    func predictHeadMismatch() throws {
        var command = try Predict.parseAsRoot([
            "--model", clip.appendingPathComponent("vit_quickgelu.safetensors").path,
            "--head", clip.appendingPathComponent("pixels.safetensors").path,
            "--pixels", clip.appendingPathComponent("pixels.safetensors").path,
        ])
        #expect(throws: (any Error).self) { try command.run() }
    }
}
