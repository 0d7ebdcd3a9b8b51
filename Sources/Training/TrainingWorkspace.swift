import CLIP

/// The activations a ``TrainableViT`` forward pass keeps for its backward pass, and the
/// backward pass's scratch, for up to ``capacity`` images.
///
/// Memory: about `layers · tokens · (8·width + 2·mlpWidth) + layers · heads · tokens²` floats per
/// image (ViT-B/32: ~30 MB per image), allocated once. Not thread-safe: one per worker.
public final class TrainingWorkspace: @unchecked Sendable {
    /// The configuration it is sized for.
    public let config: VisionTransformerConfig
    /// The most images one forward/backward pass may hold.
    public let capacity: Int

    let patches: ParameterBuffer      // [N·G², 3P²]
    let x0: ParameterBuffer           // [N·T, W] tokens before ln_pre
    let preStats: ParameterBuffer     // [2, N·T] mean, rstd
    let xIn: ParameterBuffer          // [L+1, N·T, W] residual stream entering each block (and leaving the last)
    let ln1Stats, ln2Stats: ParameterBuffer  // [L, 2, N·T]
    let y1, ctx, xMid, y2: ParameterBuffer   // [L, N·T, W]
    let qkv: ParameterBuffer          // [L, N·T, 3W]
    let probs: ParameterBuffer        // [L, N·H, T, T]
    let hPre, hAct: ParameterBuffer   // [L, N·T, M]
    let postStats: ParameterBuffer    // [2, N]
    let pooled: ParameterBuffer       // [N, W]
    let features: ParameterBuffer     // [N, D]
    // Backward scratch.
    let dx, dy: ParameterBuffer       // [N·T, W]
    let dqkv: ParameterBuffer         // [N·T, 3W]
    let dh: ParameterBuffer           // [N·T, M]
    let dScores: ParameterBuffer      // [T, T]
    let dFeatures, dPooled: ParameterBuffer  // [N, D], [N, W]
    let dPatches: ParameterBuffer     // [N·G², W]

    /// Allocates room for `capacity` images of `config`.
    public init(config c: VisionTransformerConfig, capacity: Int) {
        precondition(capacity > 0, "TrainingWorkspace: capacity must be positive")
        self.config = c
        self.capacity = capacity
        let n = capacity, t = c.tokens, w = c.width, l = c.layers, m = c.mlpWidth
        let g2 = c.gridSize * c.gridSize, rows = n * t
        patches = ParameterBuffer(count: n * g2 * 3 * c.patchSize * c.patchSize)
        x0 = ParameterBuffer(count: rows * w)
        preStats = ParameterBuffer(count: 2 * rows)
        xIn = ParameterBuffer(count: (l + 1) * rows * w)
        ln1Stats = ParameterBuffer(count: l * 2 * rows)
        ln2Stats = ParameterBuffer(count: l * 2 * rows)
        y1 = ParameterBuffer(count: l * rows * w)
        ctx = ParameterBuffer(count: l * rows * w)
        xMid = ParameterBuffer(count: l * rows * w)
        y2 = ParameterBuffer(count: l * rows * w)
        qkv = ParameterBuffer(count: l * rows * 3 * w)
        probs = ParameterBuffer(count: l * n * c.heads * t * t)
        hPre = ParameterBuffer(count: l * rows * m)
        hAct = ParameterBuffer(count: l * rows * m)
        postStats = ParameterBuffer(count: 2 * n)
        pooled = ParameterBuffer(count: n * w)
        features = ParameterBuffer(count: n * c.outputDim)
        dx = ParameterBuffer(count: rows * w)
        dy = ParameterBuffer(count: rows * w)
        dqkv = ParameterBuffer(count: rows * 3 * w)
        dh = ParameterBuffer(count: rows * m)
        dScores = ParameterBuffer(count: t * t)
        dFeatures = ParameterBuffer(count: n * c.outputDim)
        dPooled = ParameterBuffer(count: n * w)
        dPatches = ParameterBuffer(count: n * g2 * w)
    }
}
