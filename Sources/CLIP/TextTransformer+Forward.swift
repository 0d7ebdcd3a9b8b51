import Tensors

/// Scratch pointers for one group of packed texts, and whether kernels may fork threads.
struct _TextScratch {
    var x, y, qkv, hidden, pooled, scores: UnsafeMutablePointer<Float>
    /// Score matrices (contextLength² each) available at `scores`.
    var slots: Int
    var parallel: Bool
}

extension TextTransformer {
    /// Encodes rows of token ids into text features `[N, outputDim]` (open_clip's `encode_text`,
    /// not normalised).
    ///
    /// - Parameters:
    ///   - tokens: one row per text, at most `contextLength` ids each, as ``CLIPTokenizer/tokenize(_:contextLength:)``
    ///     gives them; the feature is taken at the first position of the row's highest id.
    ///   - maxTokensPerPass: token positions per forward pass (memory grows linearly with it,
    ///     ~`(5 · width + mlpWidth) · 4` bytes each).
    /// - Throws: ``CLIPError/badTokens(path:reason:)`` for an empty or too long row or an id
    ///   outside the vocabulary.
    public func encode(_ tokens: [[Int32]], maxTokensPerPass: Int = 8192) throws -> Tensor {
        let c = config
        var lengths: [Int] = []
        lengths.reserveCapacity(tokens.count)
        for (r, row) in tokens.enumerated() {
            guard !row.isEmpty, row.count <= c.contextLength else {
                throw CLIPError.badTokens(path: source.path, reason: "text \(r) has \(row.count) ids, not 1…\(c.contextLength)")
            }
            var best = 0
            for (i, id) in row.enumerated() {
                guard id >= 0, Int(id) < c.vocabularySize else {
                    throw CLIPError.badTokens(path: source.path, reason: "text \(r) has id \(id) at position \(i), outside the vocabulary 0..<\(c.vocabularySize)")
                }
                if id > row[best] { best = i }
            }
            lengths.append(best + 1)
        }
        var out = Tensor(shape: [tokens.count, c.outputDim])
        guard !tokens.isEmpty else { return out }
        let capacity = min(max(maxTokensPerPass, c.contextLength), lengths.reduce(0, +))
        let slots = max(1, Parallel.threadCount)
        let x = FloatBuffer(count: capacity * c.width), y = FloatBuffer(count: capacity * c.width)
        let qkv = FloatBuffer(count: capacity * 3 * c.width), hidden = FloatBuffer(count: capacity * c.mlpWidth)
        let pooled = FloatBuffer(count: min(tokens.count, capacity) * c.width)
        let scores = FloatBuffer(count: slots * c.contextLength * c.contextLength)
        out.scalars.withUnsafeMutableBufferPointer { o in
            guard let features = o.baseAddress else { return }
            var first = 0
            while first < tokens.count {
                var last = first, rows = 0
                while last < tokens.count, rows + lengths[last] <= capacity { rows += lengths[last]; last += 1 }
                let groups = min(slots, last - first)
                if groups > 1 {
                    // Contiguous groups of texts with about equal token counts, one per core.
                    var bounds = [first]
                    var acc = 0, g = 1
                    for i in first..<last {
                        acc += lengths[i]
                        if g < groups, acc * groups >= rows * g, i + 1 < last { bounds.append(i + 1); g += 1 }
                    }
                    bounds.append(last)
                    let starts = bounds.indices.dropLast().map { k in lengths[first..<bounds[k]].reduce(0, +) }
                    BLASThreads.singleThreaded {
                        Parallel.forEach(bounds.count - 1) { k in
                            let a = bounds[k], b = bounds[k + 1], r0 = starts[k]
                            let z = _TextScratch(
                                x: x.pointer + r0 * c.width, y: y.pointer + r0 * c.width, qkv: qkv.pointer + r0 * 3 * c.width,
                                hidden: hidden.pointer + r0 * c.mlpWidth, pooled: pooled.pointer + (a - first) * c.width,
                                scores: scores.pointer + k * c.contextLength * c.contextLength, slots: 1, parallel: false)
                            forwardGroup(tokens[a..<b], lengths: lengths[a..<b], features: features + a * c.outputDim, scratch: z)
                        }
                    }
                } else {
                    BLASThreads.useAllThreads()
                    let z = _TextScratch(x: x.pointer, y: y.pointer, qkv: qkv.pointer, hidden: hidden.pointer,
                                         pooled: pooled.pointer, scores: scores.pointer, slots: slots, parallel: true)
                    forwardGroup(tokens[first..<last], lengths: lengths[first..<last],
                                 features: features + first * c.outputDim, scratch: z)
                }
                first = last
            }
        }
        return out
    }

    /// Runs texts packed end to end (text `s` at rows `Σ lengths[..<s]`, `lengths[s]` rows) into `features`.
    func forwardGroup(_ tokens: ArraySlice<[Int32]>, lengths: ArraySlice<Int>, features: UnsafeMutablePointer<Float>,
                      scratch z: _TextScratch) {
        let w = config.width, n = tokens.count, B = CPUBackend(parallel: z.parallel)
        var offsets: [Int] = []
        offsets.reserveCapacity(n)
        var rows = 0
        for l in lengths { offsets.append(rows); rows += l }

        // Token embedding + positional embedding.
        let emb = tokenEmbedding.pointer, pos = positional.pointer, x = z.x
        for (s, row) in tokens.enumerated() {
            let base = offsets[s]
            for t in 0..<lengths[lengths.startIndex + s] {
                let d = x + (base + t) * w, e = emb + Int(row[row.startIndex + t]) * w, q = pos + t * w
                for j in 0..<w { d[j] = e[j] + q[j] }
            }
        }

        let lens = Array(lengths)
        for (i, block) in blocks.enumerated() {
            let last = i == blocks.count - 1
            attention(block, offsets: offsets, lengths: lens, rows: rows, scratch: z, endTokenOnly: last)
            if last {
                // Only the end tokens go on: gather them (rows of `pooled`), then out_proj and the MLP.
                for s in 0..<n {
                    (z.pooled + s * w).update(from: x + (offsets[s] + lens[s] - 1) * w, count: w)
                }
                EncoderBlock.outputAndMLP(block.weights, rows: n, width: w, mlpWidth: config.mlpWidth, activation: config.activation,
                                          input: z.pooled, mid: z.pooled, output: z.pooled, stride: w, context: z.y, contextStride: w,
                                          ln2: z.y, ln2Stats: nil, hiddenPre: z.hidden, hiddenAct: z.hidden, backend: B)
            } else {
                EncoderBlock.outputAndMLP(block.weights, rows: rows, width: w, mlpWidth: config.mlpWidth, activation: config.activation,
                                          input: x, mid: x, output: x, stride: w, context: z.y, contextStride: w,
                                          ln2: z.y, ln2Stats: nil, hiddenPre: z.hidden, hiddenAct: z.hidden, backend: B)
            }
        }
        if blocks.isEmpty {
            for s in 0..<n { (z.pooled + s * w).update(from: x + (offsets[s] + lens[s] - 1) * w, count: w) }
        }
        B.layerNorm(rows: n, width: w, src: z.pooled, srcStride: w, dst: z.pooled, dstStride: w,
                    gamma: lnFinalWeight.pointer, beta: lnFinalBias.pointer, stats: nil)
        B.gemm(m: n, n: config.outputDim, k: w, a: z.pooled, lda: w, b: projection.pointer, ldb: config.outputDim,
                   c: features, ldc: config.outputDim)
    }

    /// `ln_1`, the q/k/v projection and causal attention; the context goes to `y`: row by row, or
    /// with `endTokenOnly` only each text's last row, compacted to row `s` of `y`.
    func attention(_ b: ResidualAttentionBlock, offsets: [Int], lengths: [Int], rows: Int, scratch z: _TextScratch,
                   endTokenOnly: Bool) {
        let w = config.width, heads = config.heads, hd = config.headWidth, par = z.parallel
        let x = z.x, y = z.y, qkv = z.qkv, ctx = config.contextLength, B = CPUBackend(parallel: par)
        // Each (text, head) job runs on one thread: its kernels never fork.
        let serial = CPUBackend(parallel: false)
        B.layerNorm(rows: rows, width: w, src: x, srcStride: w, dst: y, dstStride: w,
                    gamma: b.ln1Weight.pointer, beta: b.ln1Bias.pointer, stats: nil)
        B.fillRows(qkv, rows: rows, width: 3 * w, bias: b.inProjBias.pointer)
        B.gemm(transposeB: true, m: rows, n: 3 * w, k: w, a: y, lda: w,
                   b: b.inProjWeight.pointer, ldb: w, beta: 1, c: qkv, ldc: 3 * w)

        let scale = 1 / Float(hd).squareRoot()
        let jobs = offsets.count * heads, slots = min(z.slots, jobs)
        let attend: (Int, UnsafeMutablePointer<Float>) -> Void = { job, scores in
            let s = job / heads, h = job % heads, l = lengths[s]
            let base = qkv + offsets[s] * 3 * w + h * hd
            if endTokenOnly {
                serial.gemm(transposeB: true, m: 1, n: l, k: hd, alpha: scale, a: base + (l - 1) * 3 * w, lda: 3 * w,
                            b: base + w, ldb: 3 * w, c: scores, ldc: l)
                serial.softmaxRows(scores, rows: 1, n: l)
                serial.gemm(m: 1, n: hd, k: l, a: scores, lda: l, b: base + 2 * w, ldb: 3 * w,
                           c: y + s * w + h * hd, ldc: w)
                return
            }
            serial.gemm(transposeB: true, m: l, n: l, k: hd, alpha: scale, a: base, lda: 3 * w,
                       b: base + w, ldb: 3 * w, c: scores, ldc: l)
            for i in 0..<l {
                // Causal mask: query i sees keys 0…i.
                serial.softmaxRows(scores + i * l, rows: 1, n: i + 1)
                (scores + i * l + i + 1).update(repeating: 0, count: l - i - 1)
            }
            serial.gemm(m: l, n: hd, k: l, a: scores, lda: l, b: base + 2 * w, ldb: 3 * w,
                       c: y + offsets[s] * w + h * hd, ldc: w)
        }
        if par && slots > 1 {
            BLASThreads.singleThreaded {
                Parallel.forEach(slots) { slot in
                    var job = slot
                    while job < jobs { attend(job, z.scores + slot * ctx * ctx); job += slots }
                }
            }
        } else {
            for job in 0..<jobs { attend(job, z.scores) }
        }
    }
}
