import Checkpoints
import Foundation
import Tensors

/// An open_clip ViT image encoder (`CLIP.visual`), loaded from a checkpoint and run on BLAS.
///
/// Forward pass, as open_clip's `VisionTransformer.forward` in eval mode: `conv1` patch embedding
/// (im2col + one sgemm), class token, positional embedding, `ln_pre`, `layers` residual blocks
/// `x += out_proj(MHA(ln_1(x)))`, `x += c_proj(act(c_fc(ln_2(x))))`, then `ln_post` on the class
/// token and `· proj`. LayerNorm eps is 1e-5. Only the class token leaves the encoder, so the last
/// block computes keys and values for every token but queries, `out_proj` and the MLP for the
/// class token alone (the same values, ~6% fewer FLOPs for ViT-B-32). Each linear layer is one sgemm over all
/// `N · tokens` rows of the batch; attention runs per (image, head) on both cores.
///
/// Parity: features agree with open_clip 3.3 (float32, CPU) within 1e-4 of the feature norm.
public struct VisionTransformer: Sendable {
    /// Shape and activation of the encoder.
    public let config: VisionTransformerConfig
    /// Where the tower sits in the checkpoint.
    public let layout: VisionTransformerLayout
    /// The checkpoint it was loaded from.
    public let source: URL

    let conv: FloatBuffer          // [W, 3·P·P]
    let classEmbedding: FloatBuffer
    let positional: FloatBuffer    // [T, W]
    let lnPreWeight, lnPreBias, lnPostWeight, lnPostBias: FloatBuffer
    let proj: FloatBuffer          // [W, D]
    let blocks: [ResidualAttentionBlock]

    /// Opens `url` (any format ``Checkpoint/open(_:)`` reads) and loads its image tower.
    /// - Parameters:
    ///   - activation: MLP nonlinearity; QuickGELU for the reference checkpoints (spec §4.1).
    ///   - heads: head count; default `width / 64` as open_clip.
    /// - Throws: ``CLIPError`` when the file holds no ViT image tower or a shape disagrees, and
    ///   ``CheckpointError`` when the file cannot be read.
    public init(checkpoint url: URL, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        try self.init(reader: try Checkpoint.open(url), activation: activation, heads: heads)
    }

    /// Loads the image tower of an opened checkpoint (see ``VisionTransformerLayout``).
    public init(reader: any CheckpointReader, activation: Activation = .quickGELU, heads: Int? = nil) throws {
        let layout = try VisionTransformerLayout(reader: reader, activation: activation, heads: heads)
        let p = layout.prefix
        func load(_ key: String) throws -> FloatBuffer {
            let t = try reader.readFloat(p + key)
            reader.evict(p + key)
            return FloatBuffer(t.scalars)
        }
        self.layout = layout
        self.config = layout.config
        self.source = reader.url
        conv = try load("conv1.weight")
        classEmbedding = try load("class_embedding")
        positional = try load("positional_embedding")
        lnPreWeight = try load("ln_pre.weight"); lnPreBias = try load("ln_pre.bias")
        lnPostWeight = try load("ln_post.weight"); lnPostBias = try load("ln_post.bias")
        proj = try load("proj")
        blocks = try (0..<layout.config.layers).map {
            try ResidualAttentionBlock(reader: reader, prefix: p + "transformer.resblocks.\($0).")
        }
    }

    /// Encodes preprocessed images `[N, 3, S, S]` into features `[N, outputDim]`.
    /// - Parameters:
    ///   - pixels: float32 CHW images normalised with CLIP's mean and std, S = `config.imageSize`.
    ///   - batchSize: images per forward pass (memory grows linearly with it).
    ///   - progress: called after each batch with the number of images done.
    /// - Throws: ``CLIPError/badPixels(path:expected:found:)`` when the shape is wrong.
    public func encode(_ pixels: Tensor, batchSize: Int = 32, progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let s = config.imageSize
        guard pixels.rank == 4, pixels.shape[1] == 3, pixels.shape[2] == s, pixels.shape[3] == s else {
            throw CLIPError.badPixels(path: "pixels", expected: [pixels.shape.first ?? 0, 3, s, s], found: pixels.shape)
        }
        let n = pixels.shape[0]
        var out = Tensor(shape: [n, config.outputDim])
        guard n > 0 else { return out }
        let workspace = VisionTransformerWorkspace(config: config, batchCapacity: min(max(1, batchSize), n))
        let perImage = 3 * s * s
        pixels.scalars.withUnsafeBufferPointer { src in
            out.scalars.withUnsafeMutableBufferPointer { dst in
                guard let sp = src.baseAddress, let dp = dst.baseAddress else { return }
                var start = 0
                while start < n {
                    let count = min(workspace.batchCapacity, n - start)
                    forward(pixels: sp + start * perImage, count: count,
                            features: dp + start * config.outputDim, workspace: workspace)
                    start += count
                    progress?(start)
                }
            }
        }
        return out
    }

    /// Runs one batch: `count` images at `pixels` ([count, 3, S, S]) into `features` ([count, D]).
    /// - Precondition: `count <= workspace.batchCapacity` and the workspace matches `config`.
    public func forward(pixels: UnsafePointer<Float>, count n: Int,
                        features: UnsafeMutablePointer<Float>, workspace ws: VisionTransformerWorkspace) {
        precondition(n <= ws.batchCapacity && ws.config.tokens == config.tokens && ws.config.width == config.width
                     && ws.config.mlpWidth == config.mlpWidth, "workspace does not fit this batch")
        guard n > 0 else { return }
        _BLASThreads.useAllThreads()
        let w = config.width, t = config.tokens, g = config.gridSize, g2 = g * g, p = config.patchSize
        let s = config.imageSize, kdim = 3 * p * p, rows = n * t

        // Patch embedding: im2col in (c, ky, kx) order, the order of conv1.weight's last 3 dims.
        let patches = ws.patches.pointer
        Parallel.forEach(n * g) { job in
            let img = job / g, gy = job % g
            let src = pixels + img * 3 * s * s
            for gx in 0..<g {
                let dst = patches + ((img * g2) + gy * g + gx) * kdim
                for c in 0..<3 {
                    for ky in 0..<p {
                        (dst + (c * p + ky) * p).update(from: src + c * s * s + (gy * p + ky) * s + gx * p, count: p)
                    }
                }
            }
        }
        BLAS.sgemm(transposeB: true, m: n * g2, n: w, k: kdim, a: patches, lda: kdim,
                   b: conv.pointer, ldb: kdim, c: ws.patchOut.pointer, ldc: w)

        // Tokens: [class, patches] + positional embedding, then ln_pre in place.
        let x = ws.x.pointer, patchOut = ws.patchOut.pointer, pos = positional.pointer, cls = classEmbedding.pointer
        Parallel.forEach(n) { img in
            let xi = x + img * t * w
            for j in 0..<w { xi[j] = cls[j] + pos[j] }
            for tok in 1..<t {
                let d = xi + tok * w, e = patchOut + (img * g2 + tok - 1) * w, q = pos + tok * w
                for j in 0..<w { d[j] = e[j] + q[j] }
            }
        }
        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: x, dstStride: w,
                           gamma: lnPreWeight.pointer, beta: lnPreBias.pointer)

        for block in blocks.dropLast() {
            residualBlock(block, images: n, workspace: ws)
        }
        if let last = blocks.last {
            lastResidualBlock(last, images: n, workspace: ws)
        }

        // ln_post on each class token, then the projection.
        let pooled = ws.pooled.pointer
        _Kernels.layerNorm(rows: n, width: w, src: x, srcStride: t * w, dst: pooled, dstStride: w,
                           gamma: lnPostWeight.pointer, beta: lnPostBias.pointer)
        BLAS.sgemm(m: n, n: config.outputDim, k: w, a: pooled, lda: w, b: proj.pointer, ldb: config.outputDim,
                   c: features, ldc: config.outputDim)
    }

    /// `x += out_proj(attention(ln_1(x)))`, `x += c_proj(act(c_fc(ln_2(x))))` over the whole batch.
    func residualBlock(_ b: ResidualAttentionBlock, images n: Int, workspace ws: VisionTransformerWorkspace) {
        let w = config.width, t = config.tokens, rows = n * t, mlp = config.mlpWidth
        let heads = config.heads, hd = config.headWidth
        let x = ws.x.pointer, y = ws.y.pointer, qkv = ws.qkv.pointer, hidden = ws.hidden.pointer

        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y, dstStride: w,
                           gamma: b.ln1Weight.pointer, beta: b.ln1Bias.pointer)
        _Kernels.fillRows(qkv, rows: rows, width: 3 * w, bias: b.inProjBias.pointer)
        BLAS.sgemm(transposeB: true, m: rows, n: 3 * w, k: w, a: y, lda: w,
                   b: b.inProjWeight.pointer, ldb: w, beta: 1, c: qkv, ldc: 3 * w)

        // Scaled dot-product attention per (image, head); the context overwrites y.
        let scale = 1 / Float(hd).squareRoot()
        let jobs = n * heads, slots = ws.slots, scoresBase = ws.scores.pointer
        _BLASThreads.singleThreaded {
            Parallel.forEach(min(slots, jobs)) { slot in
                let scores = scoresBase + slot * t * t
                var job = slot
                while job < jobs {
                    let img = job / heads, h = job % heads
                    let base = qkv + img * t * 3 * w + h * hd
                    BLAS.sgemm(transposeB: true, m: t, n: t, k: hd, alpha: scale, a: base, lda: 3 * w,
                               b: base + w, ldb: 3 * w, c: scores, ldc: t)
                    _Kernels.softmaxRows(scores, rows: t, n: t)
                    BLAS.sgemm(m: t, n: hd, k: t, a: scores, lda: t, b: base + 2 * w, ldb: 3 * w,
                               c: y + img * t * w + h * hd, ldc: w)
                    job += slots
                }
            }
        }
        BLAS.sgemm(transposeB: true, m: rows, n: w, k: w, a: y, lda: w,
                   b: b.outProjWeight.pointer, ldb: w, beta: 1, c: x, ldc: w)
        _Kernels.addRows(x, rows: rows, width: w, bias: b.outProjBias.pointer)

        // MLP.
        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y, dstStride: w,
                           gamma: b.ln2Weight.pointer, beta: b.ln2Bias.pointer)
        _Kernels.fillRows(hidden, rows: rows, width: mlp, bias: b.fcBias.pointer)
        BLAS.sgemm(transposeB: true, m: rows, n: mlp, k: w, a: y, lda: w,
                   b: b.fcWeight.pointer, ldb: w, beta: 1, c: hidden, ldc: mlp)
        switch config.activation {
        case .quickGELU: _Kernels.quickGELU(hidden, count: rows * mlp)
        case .gelu: _Kernels.gelu(hidden, count: rows * mlp)
        }
        BLAS.sgemm(transposeB: true, m: rows, n: w, k: mlp, a: hidden, lda: mlp,
                   b: b.projWeight.pointer, ldb: mlp, beta: 1, c: x, ldc: w)
        _Kernels.addRows(x, rows: rows, width: w, bias: b.projBias.pointer)
    }

    /// The last block, for the class token only: keys and values of all tokens, everything else
    /// on the N class-token rows (row stride `tokens · width` in `x`).
    func lastResidualBlock(_ b: ResidualAttentionBlock, images n: Int, workspace ws: VisionTransformerWorkspace) {
        let w = config.width, t = config.tokens, rows = n * t, mlp = config.mlpWidth
        let heads = config.heads, hd = config.headWidth
        let x = ws.x.pointer, y = ws.y.pointer, qkv = ws.qkv.pointer, hidden = ws.hidden.pointer

        _Kernels.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y, dstStride: w,
                           gamma: b.ln1Weight.pointer, beta: b.ln1Bias.pointer)
        _Kernels.fillRows(qkv, rows: rows, width: 3 * w, bias: b.inProjBias.pointer)
        // Keys and values of every token; queries of the class tokens only.
        BLAS.sgemm(transposeB: true, m: rows, n: 2 * w, k: w, a: y, lda: w,
                   b: b.inProjWeight.pointer + w * w, ldb: w, beta: 1, c: qkv + w, ldc: 3 * w)
        BLAS.sgemm(transposeB: true, m: n, n: w, k: w, a: y, lda: t * w,
                   b: b.inProjWeight.pointer, ldb: w, beta: 1, c: qkv, ldc: t * 3 * w)

        let scale = 1 / Float(hd).squareRoot()
        let jobs = n * heads, slots = ws.slots, scoresBase = ws.scores.pointer
        _BLASThreads.singleThreaded {
            Parallel.forEach(min(slots, jobs)) { slot in
                let scores = scoresBase + slot * t * t
                var job = slot
                while job < jobs {
                    let img = job / heads, h = job % heads
                    let base = qkv + img * t * 3 * w + h * hd
                    BLAS.sgemm(transposeB: true, m: 1, n: t, k: hd, alpha: scale, a: base, lda: 3 * w,
                               b: base + w, ldb: 3 * w, c: scores, ldc: t)
                    _Kernels.softmaxRows(scores, rows: 1, n: t)
                    BLAS.sgemm(m: 1, n: hd, k: t, a: scores, lda: t, b: base + 2 * w, ldb: 3 * w,
                               c: y + img * t * w + h * hd, ldc: w)
                    job += slots
                }
            }
        }
        BLAS.sgemm(transposeB: true, m: n, n: w, k: w, a: y, lda: t * w,
                   b: b.outProjWeight.pointer, ldb: w, beta: 1, c: x, ldc: t * w)
        _Kernels.addRows(x, rows: n, width: w, stride: t * w, bias: b.outProjBias.pointer)

        // MLP on the class tokens, compacted to [N, W] and [N, MLP].
        _Kernels.layerNorm(rows: n, width: w, src: x, srcStride: t * w, dst: y, dstStride: w,
                           gamma: b.ln2Weight.pointer, beta: b.ln2Bias.pointer)
        _Kernels.fillRows(hidden, rows: n, width: mlp, bias: b.fcBias.pointer)
        BLAS.sgemm(transposeB: true, m: n, n: mlp, k: w, a: y, lda: w,
                   b: b.fcWeight.pointer, ldb: w, beta: 1, c: hidden, ldc: mlp)
        switch config.activation {
        case .quickGELU: _Kernels.quickGELU(hidden, count: n * mlp)
        case .gelu: _Kernels.gelu(hidden, count: n * mlp)
        }
        BLAS.sgemm(transposeB: true, m: n, n: w, k: mlp, a: hidden, lda: mlp,
                   b: b.projWeight.pointer, ldb: mlp, beta: 1, c: x, ldc: t * w)
        _Kernels.addRows(x, rows: n, width: w, stride: t * w, bias: b.projBias.pointer)
    }
}
