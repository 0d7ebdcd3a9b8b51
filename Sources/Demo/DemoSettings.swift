import CLIP
import Foundation

/// What `lines demo` builds and runs, and where.
public struct DemoSettings: Sendable {
    /// Reduced sizes for CI (`--quick`).
    public var quick: Bool
    /// Where the report goes (`report.html`, `report.txt`, `demo-results.json`).
    public var output: URL
    /// Where data, checkpoints, the decode cache and the run journals are kept between runs.
    public var cache: URL
    /// Ignore what the cache holds and rebuild everything.
    public var fresh: Bool

    public init(quick: Bool, output: URL, cache: URL? = nil, fresh: Bool = false) {
        self.quick = quick
        self.output = output
        self.cache = cache ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lines/demo")
        self.fresh = fresh
    }

    /// The folder of this size's data and models (quick and full runs do not share).
    public var root: URL { cache.appendingPathComponent(quick ? "quick-v1" : "full-v1") }

    /// Data sizes.
    public var sizes: DemoData.Sizes { quick ? .quick : .full }

    /// The encoder: an open_clip-layout ViT for 28×28 inputs, 4×4 patches of 7 px, one head of 64.
    public var encoder: VisionTransformerConfig {
        VisionTransformerConfig(width: 64, layers: 4, heads: 1, patchSize: 7, imageSize: 28, outputDim: 32)
    }

    /// The model folder name under `model_location`.
    public let modelName = "tiny-vit"

    /// Pre-training steps (batch ``batchSize``) on `FashionPretrain`.
    public var pretrainSteps: Int { quick ? 300 : 1500 }
    /// Fine-tuning epochs per task.
    public var finetuneEpochs: Int { quick ? 4 : 5 }
    /// Images per optimizer step.
    public var batchSize: Int { 64 }
    /// Base learning rate of pre-training, with a short warmup.
    public var learningRate: Double { 1e-3 }
    /// Base learning rate of fine-tuning: 5× lower than pre-training's, so that task vectors stay
    /// small relative to θ0, as the reference's (lr 1e-5 on CLIP) do.
    public var finetuneLearningRate: Double { 2e-4 }
    public var warmup: Int { quick ? 5 : 50 }
}
