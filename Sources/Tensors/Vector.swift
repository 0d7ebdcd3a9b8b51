/// SIMD kernels over contiguous `Float` buffers, parallel on large inputs.
public enum Vector {
    /// Σ|x| in `Double`, summed in 8-wide SIMD lanes per block, blocks combined in `Double`.
    public static func l1Norm(_ x: UnsafeBufferPointer<Float>) -> Double {
        guard let base = x.baseAddress, x.count > 0 else { return 0 }
        let block = 1 << 16
        let blocks = (x.count + block - 1) / block
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { part in
            let pp = part.baseAddress!
            Parallel.forEach(blocks) { b in
                let lo = b * block, hi = min(x.count, lo + block)
                pp[b] = _l1(base + lo, hi - lo)
            }
        }
        return partial.reduce(0, +)
    }

    @inline(__always)
    static func _l1(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        let raw = UnsafeRawPointer(p)
        var total = 0.0
        var i = 0
        while i + 8 <= n {
            // Sum at most 1024 values per Float lane group, then carry into Double.
            let stop = min(n - (n - i) % 8, i + 1024)
            var acc = SIMD8<Float>()
            while i < stop {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<UInt32>.self) & 0x7FFF_FFFF
                acc += unsafeBitCast(v, to: SIMD8<Float>.self)
                i += 8
            }
            total += Double(acc.sum())
        }
        while i < n { total += Double(abs(p[i])); i += 1 }
        return total
    }

    /// `y[i] += a * x[i]`, parallel.
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRanges(count: count) { r in
            for i in r { y[i] += a * x[i] }
        }
    }
}
