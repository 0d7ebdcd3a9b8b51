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
    /// Pre-train θ0 here (`--pretrain`) instead of loading the embedded one.
    public var pretrain: Bool
    /// The fine-tuning seeds' offset (`--seed`): task t is fine-tuned with seed 100·seed + t + 1.
    public var seed: Int

    public init(quick: Bool, output: URL, cache: URL? = nil, fresh: Bool = false, pretrain: Bool = false, seed: Int = 0) {
        self.quick = quick
        self.output = output
        self.cache = cache ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lines/demo")
        self.fresh = fresh
        self.pretrain = pretrain
        self.seed = seed
    }

    /// The folder of this size's data and models: quick and full runs do not share, nor do runs
    /// from different embedded models (the folder names the first 8 digits of its sha256) or
    /// from a θ0 pre-trained here.
    public var root: URL {
        cache.appendingPathComponent((quick ? "quick-" : "full-") + (pretrain ? "pretrained-here" : String(DemoPretrained.sha256.prefix(8)))
            + (seed == 0 ? "" : "-seed\(seed)"))
    }

    /// Data sizes.
    public var sizes: DemoData.Sizes { quick ? .quick : .full }

    /// The encoder: an open_clip-layout ViT for 28×28 inputs, 4×4 patches of 7 px, one head of 64.
    public var encoder: VisionTransformerConfig {
        VisionTransformerConfig(width: 64, layers: 4, heads: 1, patchSize: 7, imageSize: 28, outputDim: 32)
    }

    /// The model folder name under `model_location`.
    public let modelName = "tiny-vit"

    /// Pre-training steps (batch ``batchSize``) on the pre-training mixture (`--pretrain`).
    public var pretrainSteps: Int { quick ? 60 : 16000 }
    /// Fine-tuning epochs per task (a validation point after each: the training curve).
    public var finetuneEpochs: Int { quick ? 4 : 16 }
    /// Images per optimizer step.
    public var batchSize: Int { 64 }
    /// Base learning rate of pre-training, with a short warmup.
    public var learningRate: Double { 1e-3 }
    /// Base learning rate of fine-tuning: 10× lower than pre-training's, so that task vectors
    /// stay small relative to θ0 (the reference fine-tunes CLIP at 1e-5).
    public var finetuneLearningRate: Double { 1e-4 }
    public var warmup: Int { quick ? 5 : 50 }
}
