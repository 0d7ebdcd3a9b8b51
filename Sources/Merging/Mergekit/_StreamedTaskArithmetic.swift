import Foundation
import CMergeKernels
import Checkpoints
import Tensors

/// ``TaskArithmeticFamily`` for `task_arithmetic`, `ties`, `dare_linear` and `dare_ties` (no
/// sparsification, magnitude, Bernoulli), run on a tensor in chunks of the memory-mapped inputs
/// instead of on whole decoded copies: memory is a few chunks per worker whatever the tensor's
/// size, and the bytes are those of ``TaskArithmeticFamily/merge(_:)``.
///
/// - No sparsification: one pass (decode, weighted deltas, merge, LiNeS, encode, write).
/// - Magnitude (TIES): the cut of each model's top `density` of |δ|, exactly
///   ``_RankSelection/largestCut(_:count:)``'s bits and room. In a large tensor, a window of bins of
///   the magnitude bits' high half is estimated from the first chunk; pass 1 keeps the window's
///   entries and counts those above it (``lines_window_select``, no histogram), and when the cut
///   falls inside, its bits follow from the kept entries alone. Otherwise (a small tensor, a miss,
///   a window holding too many entries) a 2¹⁶-bin histogram of the high half, then of the low half
///   inside the chosen bin, one pass each. The last pass keeps above the cut and the first `room`
///   entries at it, in index order, as the whole-tensor code does.
/// - Bernoulli (DARE): pass 1 draws each model's stream in index order and sums the L1 norms
///   (``_LaneL1``); pass 2 draws the same stream again and merges.
///
/// Rescaled magnitude trims and the other sparsifications run whole (``supports(_:_:)`` says no).
struct _StreamedTaskArithmetic {
    let method: TaskArithmeticFamily
    /// Values between releases of the mapped pages.
    let chunkSize: Int
    /// Values computed at a time: 16 K, so that a tile's buffers (the inputs, the deltas, the
    /// output) fit a core's L2 cache.
    static let tileSize = 1 << 14
    /// Bins on either side of the estimated cut whose entries the histogram pass keeps (each bin is
    /// 1/128 of an octave of |δ|: ±12 is about ±7 %).
    static let windowHalfWidth = 12
    /// How often the estimated window held the cut (for tests and profiling).
    static let windowOutcomes = WindowOutcomes()

    /// Counts of windows that held the cut and of those that missed it.
    final class WindowOutcomes: Sendable {
        private let counts = Locked((hits: 0, misses: 0))
        func record(hit: Bool) { counts.withLock { if hit { $0.hits += 1 } else { $0.misses += 1 } } }
        var value: (hits: Int, misses: Int) { counts.withLock { $0 } }
    }

    /// Whether `method` with `parameters` (a tensor's) is streamed.
    static func supports(_ method: any TensorMergeMethod, _ parameters: TensorMergeInput) -> Bool {
        guard let m = method as? TaskArithmeticFamily else { return false }
        switch m.sparsification {
        case nil, .random: return true
        case .magnitude: return !parameters.flag("rescale")
        default: return false
        }
    }

    /// One input's tensor: its reader and the name it is stored under there.
    struct Source {
        var reader: any CheckpointReader
        var name: String
    }

    /// Merges one tensor and writes it in `dtype` through `write(bytes, byteOffset)`.
    /// - Parameters:
    ///   - p: the tensor's parameters (its arrays empty).
    ///   - lambda: LiNeS's scale for this tensor (nil: none).
    /// - Returns: how many entries differ from the base.
    func merge(_ p: TensorMergeInput, base: Source, models: [Source], lambda linesScale: Float?, dtype: DType,
               write: (UnsafeRawBufferPointer, Int) throws -> Void) throws -> Int {
        let T = models.count
        guard T > 0 else { throw MergeError.invalidOption("\(method.name) needs a model besides the base") }
        guard let baseInfo = base.reader.info(base.name) else { throw MergeError.missingKey(key: base.name, presentIn: "the key list", missingFrom: base.reader.url.path) }
        let n = baseInfo.count
        let tile = min(chunkSize, Self.tileSize)
        let sources = ([base] + models).map { _ModelSource(reader: $0.reader, chunkSize: tile) }
        let infos = try ([base] + models).map { s -> TensorInfo in
            guard let i = s.reader.info(s.name) else { throw MergeError.missingKey(key: s.name, presentIn: "the key list", missingFrom: s.reader.url.path) }
            return i
        }
        defer { for (s, info) in zip(sources, infos) { s.finish(info) } }
        // Computed a tile at a time (its buffers stay in the core's cache); the mapped pages are
        // released a chunk at a time.
        let delta = UnsafeMutablePointer<Float>.allocate(capacity: max(1, T * tile))
        let out = UnsafeMutablePointer<Float>.allocate(capacity: max(1, tile))
        let elementSize = dtype.byteSize ?? 4
        let encoded = UnsafeMutableRawPointer.allocate(byteCount: max(1, tile * elementSize), alignment: 16)
        defer { delta.deallocate(); out.deallocate(); encoded.deallocate() }

        /// Calls `body(start, count, base, deltas)` for each tile, the deltas `m − b` of every model.
        func sweep(limit: Int? = nil, _ body: (Int, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) throws -> Void) throws {
            let n = min(n, limit ?? n)
            var s = 0, released = 0
            while s < n {
                if s == released {
                    let window = s..<min(n, s + chunkSize)
                    for (src, info) in zip(sources, infos) { src.populate(info, window) }
                }
                let c = min(tile, n - s), r = s..<(s + c)
                let b = try sources[0].chunk(infos[0], r)
                for t in 0..<T {
                    let m = try sources[t + 1].chunk(infos[t + 1], r)
                    let d = delta + t * c
                    for j in 0..<c { d[j] = m[j] - b[j] }
                }
                try body(s, c, b, delta)
                s += c
                if s - released >= chunkSize || s == n {
                    for (src, info) in zip(sources, infos) { src.release(info, released..<s) }
                    released = s
                }
            }
        }

        // Per model: what the sparsification keeps.
        var cuts: [(bits: UInt32, room: Int)?] = Array(repeating: nil, count: T)
        var zeroAll = [Bool](repeating: false, count: T)
        var drawn = [Bool](repeating: false, count: T)
        var scales = [Float?](repeating: nil, count: T)
        let probabilities = (0..<T).map { Float(p.parameter("density", model: $0)) }
        let uniform = UnsafeMutablePointer<Float>.allocate(capacity: tile)
        defer { uniform.deallocate() }
        let rescale = p.flag("rescale")
        switch method.sparsification {
        case .magnitude:
            var ks = [Int?](repeating: nil, count: T)
            for t in 0..<T {
                let density = p.parameter("density", model: t)
                if density >= 1 || n == 0 { continue }
                if density <= 0 { zeroAll[t] = true; continue }
                let k = max(1, Int(density * Double(n)))
                if k < n { ks[t] = k }
            }
            if ks.contains(where: { $0 != nil }) {
                // A large tensor: each cut's bin estimated from the first chunk, and the entries of
                // a window of bins around it kept during the histogram pass, so that the pass over
                // the chosen bin's low bits is needed only when the cut falls outside the window.
                var windows = [ClosedRange<UInt32>?](repeating: nil, count: T)
                if n >= 2 * chunkSize {
                    var prefix = [[Int]](repeating: [Int](repeating: 0, count: 1 << 16), count: T)
                    try sweep(limit: chunkSize) { _, c, _, d in
                        for t in 0..<T where ks[t] != nil {
                            prefix[t].withUnsafeMutableBufferPointer { h in
                                let row = d + t * c
                                for j in 0..<c { h[Int(_RankSelection.magnitudeBits(row[j]) >> 16)] += 1 }
                            }
                        }
                    }
                    for t in 0..<T { if let k = ks[t] {
                        let r = Int(Double(n - k) * Double(chunkSize) / Double(n))
                        var b = 0, bin = 0
                        while bin < (1 << 16) - 1 && b + prefix[t][bin] <= r { b += prefix[t][bin]; bin += 1 }
                        windows[t] = UInt32(max(0, bin - Self.windowHalfWidth))...UInt32(min((1 << 16) - 1, bin + Self.windowHalfWidth))
                    } }
                }
                // Pass 1: where a window was estimated, only its entries are kept and those above it
                // counted (no histogram); elsewhere the histogram of the bits' high half.
                var candidates = [[UInt32]](repeating: [], count: T)
                let cap = n / 8
                var high = [[Int]](repeating: [], count: T), above = [Int](repeating: 0, count: T)
                let histogrammed = (0..<T).map { ks[$0] != nil && windows[$0] == nil }
                for t in 0..<T where histogrammed[t] { high[t] = [Int](repeating: 0, count: 1 << 16) }
                let window = UnsafeMutablePointer<UInt32>.allocate(capacity: tile + 16)
                defer { window.deallocate() }
                func histogram(_ t: Int, _ row: UnsafePointer<Float>, _ c: Int) {
                    high[t].withUnsafeMutableBufferPointer { h in
                        h.baseAddress.map { base in
                            // An empty window (lo > hi keeps nothing).
                            _ = base.withMemoryRebound(to: Int64.self, capacity: h.count) { lines_histogram_window(row, Int64(c), $0, 1, 0, window) }
                        }
                    }
                }
                try sweep { _, c, _, d in
                    for t in 0..<T where ks[t] != nil {
                        let row = d + t * c
                        if let w = windows[t] {
                            var a: Int64 = 0
                            let count = Int(lines_window_select(row, Int64(c), w.lowerBound, w.upperBound, window, &a))
                            above[t] += Int(a)
                            candidates[t].append(contentsOf: UnsafeBufferPointer(start: window, count: count))
                            if candidates[t].count > cap { windows[t] = nil; candidates[t] = [] }   // too many: a histogram pass instead
                        } else if histogrammed[t] {
                            histogram(t, row, c)
                        }
                    }
                }
                var bins = [UInt32](repeating: 0, count: T), below = [Int](repeating: 0, count: T)
                var low = [[Int]](repeating: [Int](repeating: 0, count: 1 << 16), count: T)
                var pending = [Bool](repeating: false, count: T), unhistogrammed = [Bool](repeating: false, count: T)
                /// The cut's bin from a full histogram, and the low pass to come.
                func fromHistogram(_ t: Int, rank r: Int) {
                    var b = 0, bin = 0
                    while b + high[t][bin] <= r { b += high[t][bin]; bin += 1 }
                    bins[t] = UInt32(bin); below[t] = b
                    pending[t] = true
                }
                for t in 0..<T { if let k = ks[t] {
                    let r = n - k
                    if let w = windows[t] {
                        // The entry of rank r (ascending) is in the window iff it has fewer than r
                        // entries under the window and the window holds it.
                        let inside = candidates[t].count, under = n - above[t] - inside
                        if under <= r && r < under + inside {
                            var counts = [Int](repeating: 0, count: Int(w.upperBound - w.lowerBound) + 1)
                            for bits in candidates[t] { counts[Int((bits >> 16) - w.lowerBound)] += 1 }
                            var b = under, bin = 0
                            while b + counts[bin] <= r { b += counts[bin]; bin += 1 }
                            bins[t] = w.lowerBound + UInt32(bin); below[t] = b
                            for bits in candidates[t] where bits >> 16 == bins[t] { low[t][Int(bits & 0xFFFF)] += 1 }
                            Self.windowOutcomes.record(hit: true)
                        } else {
                            Self.windowOutcomes.record(hit: false)
                            unhistogrammed[t] = true
                        }
                    } else if histogrammed[t] {
                        fromHistogram(t, rank: r)
                    } else {
                        unhistogrammed[t] = true   // its window was dropped during the pass
                    }
                } }
                candidates = []
                if unhistogrammed.contains(true) {
                    for t in 0..<T where unhistogrammed[t] { high[t] = [Int](repeating: 0, count: 1 << 16) }
                    try sweep { _, c, _, d in
                        for t in 0..<T where unhistogrammed[t] { histogram(t, d + t * c, c) }
                    }
                    for t in 0..<T { if let k = ks[t], unhistogrammed[t] { fromHistogram(t, rank: n - k) } }
                }
                if pending.contains(true) {
                    try sweep { _, c, _, d in
                        for t in 0..<T where pending[t] {
                            let top = bins[t]
                            low[t].withUnsafeMutableBufferPointer { l in
                                let row = d + t * c
                                for j in 0..<c {
                                    let bits = _RankSelection.magnitudeBits(row[j])
                                    if bits >> 16 == top { l[Int(bits & 0xFFFF)] += 1 }
                                }
                            }
                        }
                    }
                }
                for t in 0..<T { if let k = ks[t] {
                    let r = n - k
                    var b = below[t], sub = 0
                    while b + low[t][sub] <= r { b += low[t][sub]; sub += 1 }
                    let equal = low[t][sub], greater = n - b - equal
                    cuts[t] = (bins[t] << 16 | UInt32(sub), k - greater)
                } }
            }
        case .random:
            // Pass 1 draws each model's stream for its L1 norms; the merge pass draws it again
            // (SplitMix64 is a counter: the same values) instead of keeping a mask.
            drawn = (0..<T).map { p.parameter("density", model: $0) < 1 }
            if drawn.contains(true) {
                var randoms = (0..<T).map { _TensorRandom(seed: p.seed, stream: $0) }
                var sums = [_LaneL1](repeating: _LaneL1(), count: T)
                try sweep { s, c, _, d in
                    for t in 0..<T where drawn[t] {
                        randoms[t].uniforms(uniform, count: c)
                        sums[t].add(d + t * c, uniforms: uniform, below: probabilities[t], start: s, count: c)
                    }
                }
                for t in 0..<T where drawn[t] && rescale { scales[t] = sums[t].scale }
            }
        default:
            break
        }

        // The merge pass.
        let weights = (0..<T).map { Float(p.parameter("weight", model: $0)) }
        let normalize = p.flag("normalize"), lambda = p.parameters["lambda"] ?? 1, l = Float(lambda)
        var rooms = cuts.map { $0?.room ?? 0 }
        var merging = (0..<T).map { _TensorRandom(seed: p.seed, stream: $0) }
        var changed = 0
        // Task arithmetic (no trim, no draws): one loop per tile for the whole sum (`plainMerge`).
        let plain = !method.consensus && (0..<T).allSatisfy { !zeroAll[$0] && cuts[$0] == nil && !drawn[$0] }
        let divisor: Float? = normalize ? TaskArithmeticFamily.normalizingDivisor(weights) : nil
        try sweep { s, c, b, d in
            if plain {
                Self.plainMerge(d, models: T, count: c, weights: weights, divisor: divisor, lambda: lambda == 1 ? nil : l,
                                base: b, lines: linesScale, into: out)
            } else {
                for t in 0..<T {
                    let row = d + t * c, w = weights[t]
                    if zeroAll[t] {
                        for j in 0..<c { row[j] = 0 * w }
                    } else if let cut = cuts[t] {
                        rooms[t] = Int(lines_trim_weighted(row, Int64(c), cut.bits, Int64(rooms[t]), w))
                    } else if drawn[t] {
                        merging[t].uniforms(uniform, count: c)
                        let prob = probabilities[t]
                        if let scale = scales[t] {
                            for j in 0..<c { row[j] = ((uniform[j] < prob ? row[j] : 0) * scale) * w }
                        } else {
                            for j in 0..<c { row[j] = (uniform[j] < prob ? row[j] : 0) * w }
                        }
                    } else {
                        for j in 0..<c { row[j] = row[j] * w }
                    }
                }
                out.update(from: b, count: c)
                if method.consensus {
                    TaskArithmeticFamily.consensusMerge(rows: UnsafePointer(d), models: T, count: c, weights: weights, normalize: normalize,
                                                        lambda: lambda == 1 ? nil : l, into: out)
                } else {
                    TaskArithmeticFamily.linearMerge(rows: d, models: T, count: c, weights: weights, normalize: normalize,
                                                     lambda: lambda == 1 ? nil : l, into: out)
                }
                if let s = linesScale { for j in 0..<c { out[j] = b[j] + s * (out[j] - b[j]) } }
            }
            changed += _Lane.countDiffering(out, b, count: c)
            let bytes: UnsafeRawBufferPointer
            if dtype == .f32 {
                bytes = UnsafeRawBufferPointer(start: out, count: c * 4)
            } else if dtype == .bf16 {
                lines_f32_to_bf16(out, encoded.assumingMemoryBound(to: UInt16.self), Int64(c))
                bytes = UnsafeRawBufferPointer(start: encoded, count: c * 2)
            } else {
                DTypeConversion.encode(out, count: c, as: dtype, into: UnsafeMutableRawBufferPointer(start: encoded, count: c * elementSize))
                bytes = UnsafeRawBufferPointer(start: encoded, count: c * elementSize)
            }
            try write(bytes, s * elementSize)
        }
        return changed
    }

    /// ``TaskArithmeticFamily/linearMerge(rows:models:count:weights:normalize:lambda:into:)`` on
    /// unweighted deltas, then LiNeS, in one loop: per entry `Σ_t δ_t·w_t` (in model order), `/
    /// divisor`, `· λ`, `b + r`, then `b + s·(o − b)` — the same `Float` operations in the same
    /// order as those passes one after another, eight entries at a time.
    static func plainMerge(_ rows: UnsafePointer<Float>, models T: Int, count n: Int, weights: [Float], divisor: Float?,
                           lambda: Float?, base b: UnsafePointer<Float>, lines: Float?, into out: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= n {
            var acc = _Lane.load(rows, j) * _F8(repeating: weights[0])
            for t in 1..<T { acc += _Lane.load(rows + t * n, j) * _F8(repeating: weights[t]) }
            if let divisor { acc /= _F8(repeating: divisor) }
            if let lambda { acc *= _F8(repeating: lambda) }
            let base = _Lane.load(b, j)
            var o = base + acc
            if let lines { o = base + _F8(repeating: lines) * (o - base) }
            _Lane.store(o, out, j)
            j += 8
        }
        while j < n {
            var acc = rows[j] * weights[0]
            for t in 1..<T { acc += rows[t * n + j] * weights[t] }
            if let divisor { acc /= divisor }
            if let lambda { acc *= lambda }
            var o = b[j] + acc
            if let lines { o = b[j] + lines * (o - b[j]) }
            out[j] = o
            j += 1
        }
    }
}
