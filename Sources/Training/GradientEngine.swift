import CLIP
import Foundation
import Tensors

/// Computes the loss and ∂loss/∂θ of a ``TrainableViT`` under a frozen head on all cores:
/// data-parallel, the batch split into one contiguous share per worker, each share run in
/// micro-batches of at most ``microBatch`` images with single-threaded BLAS, the workers'
/// gradients summed at the end.
///
/// Memory is bounded by the micro-batch: one ``TrainingWorkspace`` of `microBatch` images per
/// worker plus one gradient buffer per worker beyond the first.
public final class GradientEngine: @unchecked Sendable {
    /// The model whose gradient is computed (its weights are read, never written).
    public let model: TrainableViT
    /// Images per forward/backward pass of one worker.
    public let microBatch: Int
    /// Number of data-parallel workers.
    public let workers: Int
    let head: HeadLoss
    let workspaces: [TrainingWorkspace]
    let partials: [ParameterBuffer]

    /// Prepares workspaces for `model` under `head`.
    /// - Parameters:
    ///   - labelSmoothing: ε of ``CrossEntropy`` (0 in the reference).
    ///   - microBatch: images per pass per worker (memory ≈ `microBatch · workers` ×
    ///     ``TrainingWorkspace``'s per-image size).
    ///   - workers: data-parallel workers, default ``Tensors/Parallel/threadCount``.
    /// - Throws: ``TrainingError/headWidthMismatch(head:headWidth:encoderDim:)``.
    public init(model: TrainableViT, head: ClassificationHead, labelSmoothing: Double = 0,
                microBatch: Int = 16, workers: Int = Parallel.threadCount) throws {
        guard head.inputDim == model.config.outputDim else {
            throw TrainingError.headWidthMismatch(head: head.source, headWidth: head.inputDim, encoderDim: model.config.outputDim)
        }
        self.model = model
        self.microBatch = max(1, microBatch)
        self.workers = max(1, workers)
        self.head = HeadLoss(head: head, smoothing: labelSmoothing)
        workspaces = (0..<self.workers).map { _ in TrainingWorkspace(config: model.config, capacity: max(1, microBatch)) }
        partials = (1..<self.workers).map { _ in ParameterBuffer(count: model.layout.count) }
    }

    /// Number of classes of the head.
    public var classCount: Int { head.classes }

    /// Adds `scale · ∂(Σ losses)/∂θ` of `count` images `[count, 3, S, S]` at `pixels` with
    /// `labels` into `gradient`.
    ///
    /// With `scale = 1 / batch` this accumulates the gradient of the batch's mean loss, whatever
    /// the split into calls, workers and micro-batches (up to float rounding).
    /// - Returns: the summed loss and the number of correct arg-max predictions.
    @discardableResult
    public func accumulate(pixels: UnsafePointer<Float>, labels: ArraySlice<Int>, count: Int, scale: Float,
                           into gradient: ParameterBuffer) -> (loss: Double, correct: Int) {
        run(pixels: pixels, labels: labels, count: count, scale: scale, gradient: gradient)
    }

    /// Loss and correct count of `count` images without any gradient.
    public func evaluate(pixels: UnsafePointer<Float>, labels: ArraySlice<Int>, count: Int) -> (loss: Double, correct: Int) {
        run(pixels: pixels, labels: labels, count: count, scale: 1, gradient: nil)
    }

    private func run(pixels: UnsafePointer<Float>, labels: ArraySlice<Int>, count n: Int, scale: Float,
                     gradient: ParameterBuffer?) -> (loss: Double, correct: Int) {
        precondition(labels.count == n, "GradientEngine: \(labels.count) labels for \(n) images")
        guard n > 0 else { return (0, 0) }
        let per = 3 * model.config.imageSize * model.config.imageSize
        let shares = min(workers, n)
        let losses = UnsafeMutablePointer<Double>.allocate(capacity: shares)
        let corrects = UnsafeMutablePointer<Int>.allocate(capacity: shares)
        defer { losses.deallocate(); corrects.deallocate() }
        let lo = labels.startIndex
        let body: (Int) -> Void = { s in
            let a = s * n / shares, b = (s + 1) * n / shares
            let ws = self.workspaces[s]
            let g: UnsafeMutablePointer<Float>? = gradient.map { s == 0 ? $0.pointer : self.partials[s - 1].pointer }
            if s > 0, gradient != nil { self.partials[s - 1].zero() }
            var start = a, loss = 0.0, correct = 0
            while start < b {
                let k = min(ws.capacity, b - start)
                self.model.forward(pixels: pixels + start * per, count: k, workspace: ws)
                let r = self.head.apply(features: ws.features.pointer, count: k,
                                        labels: labels[(lo + start)..<(lo + start + k)], scale: scale,
                                        dFeatures: g == nil ? nil : ws.dFeatures.pointer)
                loss += r.loss
                correct += r.correct
                if let g { self.model.backward(count: k, workspace: ws, gradient: g) }
                start += k
            }
            losses[s] = loss
            corrects[s] = correct
        }
        if shares == 1 {
            body(0)
        } else {
            BLASThreads.singleThreaded {
                DispatchQueue.concurrentPerform(iterations: shares, execute: body)
            }
        }
        if let gradient, shares > 1 {
            let dst = gradient.pointer
            let parts = partials.prefix(shares - 1).map { UnsafePointer($0.pointer) }
            Parallel.forRanges(count: gradient.count, minChunk: 1 << 15) { r in
                for p in parts { for i in r { dst[i] += p[i] } }
            }
        }
        var loss = 0.0, correct = 0
        for s in 0..<shares { loss += losses[s]; correct += corrects[s] }
        return (loss, correct)
    }
}
