// Fine-tuning step benchmark: one optimizer step (forward + backward of the batch, frozen-head
// cross-entropy, gradient-norm clipping, AdamW) of a randomly initialised ViT, timed over
// several steps; prints the best and median step time and images/s as one JSON line.
//
//   lines-finetune-bench WIDTH LAYERS HEADS PATCH IMAGE OUTPUT BATCH STEPS [MICRO]
import CLIP
import Foundation
import Tensors
import Training

OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
guard args.count >= 8 else {
    FileHandle.standardError.write("usage: lines-finetune-bench WIDTH LAYERS HEADS PATCH IMAGE OUTPUT BATCH STEPS [MICRO]\n".data(using: .utf8)!)
    exit(2)
}
let config = VisionTransformerConfig(width: args[0], layers: args[1], heads: args[2], patchSize: args[3],
                                     imageSize: args[4], outputDim: args[5])
let batch = args[6], steps = args[7]
let micro = args.count > 8 ? args[8] : (batch + Parallel.threadCount - 1) / Parallel.threadCount
let model = TrainableViT(config: config, seed: 0)
let head = try RandomHead.make(classes: 10, dim: config.outputDim, seed: 0)
let engine = try GradientEngine(model: model, head: head, microBatch: micro)
let optimizer = AdamW(count: model.layout.count)
let gradient = ParameterBuffer(count: model.layout.count)
var rng = SeededRandom(seed: 1)
let pixels = (0..<(batch * 3 * config.imageSize * config.imageSize)).map { _ in Float(rng.normal()) }
let labels = (0..<batch).map { $0 % 10 }
var times: [Double] = []
var loss = 0.0
for _ in 0..<(steps + 1) {
    let start = DispatchTime.now().uptimeNanoseconds
    gradient.zero()
    let r = pixels.withUnsafeBufferPointer {
        engine.accumulate(pixels: $0.baseAddress!, labels: labels[...], count: batch, scale: 1 / Float(batch), into: gradient)
    }
    GradientClipping.clip(gradient, maxNorm: 1)
    optimizer.update(model.weights, gradient: gradient, lr: 1e-5)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    loss = r.loss / Double(batch)
}
let measured = times.dropFirst().sorted()  // the first step warms up
let best = measured.first ?? 0, median = measured[measured.count / 2]
print(String(format: "{\"impl\": \"lines\", \"best_s\": %.4f, \"median_s\": %.4f, \"images_per_s\": %.1f, \"loss\": %.4f, \"threads\": %d, \"openblas_core\": \"%@\"}",
             best, median, Double(batch) / best, loss, Parallel.threadCount, OpenBLASKernel.coreName ?? "none"))
