extension VisionTransformer {
    /// Encodes `count` images batch by batch with one workspace, one pixel buffer and one feature
    /// buffer for all of them: the loop every caller (``encode(_:batchSize:progress:)``, the
    /// evaluator, `lines embed`) runs.
    ///
    /// - Parameters:
    ///   - count: images in all.
    ///   - batchSize: images per forward pass (memory grows linearly with it).
    ///   - fill: writes the preprocessed images of `range` (`[k, 3, S, S]`) to `pixels` and returns
    ///     how many it wrote, `k ≤ range.count` (fewer when it skipped unreadable images).
    ///   - consume: receives the `range` of the batch and the features of its `k` written images
    ///     (`[k, outputDim]`, valid during the call).
    /// - Rethrows: what `fill` or `consume` throws; nothing is encoded after it.
    public func encodeBatches(count: Int, batchSize: Int,
                              fill: (Range<Int>, UnsafeMutablePointer<Float>) throws -> Int,
                              consume: (Range<Int>, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        guard count > 0 else { return }
        let capacity = max(1, min(batchSize, count)), d = config.outputDim
        let workspace = VisionTransformerWorkspace(config: config, batchCapacity: capacity)
        let pixels = UnsafeMutablePointer<Float>.allocate(capacity: capacity * 3 * config.imageSize * config.imageSize)
        defer { pixels.deallocate() }
        let features = UnsafeMutablePointer<Float>.allocate(capacity: capacity * d)
        defer { features.deallocate() }
        var start = 0
        while start < count {
            let range = start..<min(count, start + capacity)
            let written = try fill(range, pixels)
            precondition(written >= 0 && written <= range.count, "encodeBatches: fill wrote \(written) images for \(range.count)")
            forward(pixels: pixels, count: written, features: features, workspace: workspace)
            try consume(range, UnsafeBufferPointer(start: features, count: written * d))
            start = range.upperBound
        }
    }
}
