import Tensors

/// Scratch memory for one batch of a ``VisionTransformer`` forward pass, reused across batches.
///
/// Allocated once for a batch capacity; a forward pass allocates nothing. Not thread-safe: use one
/// workspace per concurrent caller.
public final class VisionTransformerWorkspace: @unchecked Sendable {
    /// The configuration this workspace is sized for.
    public let config: VisionTransformerConfig
    /// The most images one forward pass may hold.
    public let batchCapacity: Int

    let patches: FloatBuffer   // [N·G², 3·P²] im2col of the pixels
    let patchOut: FloatBuffer  // [N·G², W] patch embeddings
    let x: FloatBuffer         // [N·T, W] residual stream
    let y: FloatBuffer         // [N·T, W] LayerNorm output, then attention context
    let qkv: FloatBuffer       // [N·T, 3W]
    let hidden: FloatBuffer    // [N·T, MLP]
    let scores: FloatBuffer    // [slots, T, T] attention probabilities, one matrix per worker
    let pooled: FloatBuffer    // [N, W] ln_post of the class tokens
    let slots: Int

    /// Allocates scratch memory for up to `batchCapacity` images of `config`.
    public init(config: VisionTransformerConfig, batchCapacity: Int) {
        precondition(batchCapacity > 0, "batchCapacity must be positive")
        self.config = config
        self.batchCapacity = batchCapacity
        let n = batchCapacity, t = config.tokens, w = config.width, g2 = config.gridSize * config.gridSize
        slots = max(1, Parallel.threadCount)
        patches = FloatBuffer(count: n * g2 * 3 * config.patchSize * config.patchSize)
        patchOut = FloatBuffer(count: n * g2 * w)
        x = FloatBuffer(count: n * t * w)
        y = FloatBuffer(count: n * t * w)
        qkv = FloatBuffer(count: n * t * 3 * w)
        hidden = FloatBuffer(count: n * t * config.mlpWidth)
        scores = FloatBuffer(count: slots * t * t)
        pooled = FloatBuffer(count: n * w)
    }
}
