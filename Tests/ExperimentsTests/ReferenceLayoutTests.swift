import Datasets
import Experiments
import Foundation
import Testing
import TestSupport

/// The reference's folder layout (spec §4.4), the one place its paths are spelled.
@Suite("reference layout: the paths written and read")
struct ReferenceLayoutTests {
    let layout = ReferenceLayout(modelLocation: "/m/model_checkpoints", model: "ViT-B-32")

    @Test("written paths are the reference's spellings; candidates try .pt first, then .safetensors")
    func spellings() {
        #expect(layout.taskFolder(.dtd).path == "/m/model_checkpoints/ViT-B-32/DTDVal")
        #expect(layout.finetunedURL(.dtd, format: .pt).path == "/m/model_checkpoints/ViT-B-32/DTDVal/nonlinear_finetuned.pt")
        #expect(layout.zeroshotURL(.mnist, format: .safetensors).path == "/m/model_checkpoints/ViT-B-32/MNISTVal/nonlinear_zeroshot.safetensors")
        #expect(layout.headURL(.eurosat, format: .pt).path == "/m/model_checkpoints/ViT-B-32/head_EuroSATVal.pt")
        #expect(layout.finetuneStateURL(.gtsrb).path == "/m/model_checkpoints/ViT-B-32/GTSRBVal/finetune_state.safetensors")
        #expect(layout.finetunedCandidates(.dtd) == [layout.finetunedURL(.dtd, format: .pt), layout.finetunedURL(.dtd, format: .safetensors)])
        #expect(layout.zeroshotCandidates == layout.zeroshotCandidates(.mnist))
        #expect(layout.headCandidates(.custom("Shirts")).map(\.lastPathComponent) == ["head_ShirtsVal.pt", "head_ShirtsVal.safetensors"])
        #expect(layout.maskFolder.path == "/m/tall_masks/ViT-B-32")
    }

    @Test("what one side writes, the other finds: existing() picks the file that is there")
    func writtenIsFound() throws {
        let root = try temporaryFolder("layout")
        defer { try? FileManager.default.removeItem(at: root) }
        let l = ReferenceLayout(modelLocation: root.path, model: "tiny")
        #expect(ReferenceLayout.existing(l.finetunedCandidates(.svhn)) == nil)
        try FileManager.default.createDirectory(at: l.taskFolder(.svhn), withIntermediateDirectories: true)
        try Data().write(to: l.finetunedURL(.svhn, format: .safetensors))
        #expect(ReferenceLayout.existing(l.finetunedCandidates(.svhn)) == l.finetunedURL(.svhn, format: .safetensors))
        try Data().write(to: l.finetunedURL(.svhn, format: .pt))
        #expect(ReferenceLayout.existing(l.finetunedCandidates(.svhn)) == l.finetunedURL(.svhn, format: .pt))
    }
}
