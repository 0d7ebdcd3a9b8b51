/// Pillow's bicubic resampling (`Image.resize(size, Image.BICUBIC)`), ported from
/// `src/libImaging/Resample.c` so that results are bit-identical on 8-bit images.
///
/// The port keeps every detail that decides a rounding: the separable convolution with the
/// bicubic kernel (a = −0.5) whose support widens by the downscale factor, coefficients computed
/// in `Double`, normalised and then quantised to 22 fractional bits
/// (`PRECISION_BITS = 32 − 8 − 2`), a horizontal pass whose results are rounded and clipped to
/// `UInt8` before the vertical pass, only the rows the vertical pass reads, and the pass
/// skipping and pass order of Pillow 13's `ImagingResampleInner` (an axis whose size does not
/// change is not resampled; the vertical pass runs first when the height shrinks by more than
/// twice as many pixels as the width).
///
/// Because every output pixel depends only on its own coefficients, ``resize(_:to:crop:)`` can
/// compute just a rectangle of the resized image and stays bit-identical to resizing in full
/// and cropping afterwards; ``CLIPPreprocessor`` uses that to skip the pixels the center crop
/// would discard.
public enum BicubicResampler {
    /// Resizes `image` to `size` as Pillow's `image.resize(size, Image.BICUBIC)` does.
    /// - Precondition: both sizes are positive.
    public static func resize(_ image: RGBImage, to size: (width: Int, height: Int)) -> RGBImage {
        resize(image, to: size, crop: (x: 0, y: 0, width: size.width, height: size.height))
    }

    /// The rectangle `crop` of `image` resized to `size`, bit-identical to
    /// `resize(image, to: size).cropped(...)` but computing only the pixels inside `crop`.
    /// - Precondition: sizes are positive and `crop` lies inside `size`.
    public static func resize(
        _ image: RGBImage, to size: (width: Int, height: Int), crop: (x: Int, y: Int, width: Int, height: Int)
    ) -> RGBImage {
        precondition(image.width > 0 && image.height > 0 && size.width > 0 && size.height > 0,
                     "resize of a \(image.width)×\(image.height) image to \(size.width)×\(size.height)")
        precondition(crop.x >= 0 && crop.y >= 0 && crop.width > 0 && crop.height > 0
                     && crop.x + crop.width <= size.width && crop.y + crop.height <= size.height,
                     "crop \(crop) outside \(size.width)×\(size.height)")
        var out = [UInt8](repeating: 0, count: crop.width * crop.height * 3)
        out.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                resample(src, width: image.width, height: image.height, to: size, crop: crop, into: dst)
            }
        }
        return RGBImage(width: crop.width, height: crop.height, pixels: out)
    }

    /// Coefficients of one axis, as `precompute_coeffs` and `normalize_coeffs_8bpc` compute them.
    struct AxisCoefficients {
        /// Taps per output sample (`ksize`).
        var taps: Int
        /// First input index of each output sample (`xmin`).
        var first: [Int]
        /// Number of input samples used by each output sample (`xmax - xmin`).
        var count: [Int]
        /// `taps` fixed-point weights per output sample, zero past `count`.
        var weights: [Int32]

        init(inSize: Int, outSize: Int) {
            let in0: Float = 0, in1 = Float(inSize)
            let support0 = 2.0  // bicubic
            var filterscale = Double(in1 - in0) / Double(outSize)
            let scale = filterscale
            if filterscale < 1 { filterscale = 1 }
            let support = support0 * filterscale
            taps = Int(support.rounded(.up)) * 2 + 1
            first = [Int](repeating: 0, count: outSize)
            count = [Int](repeating: 0, count: outSize)
            weights = [Int32](repeating: 0, count: outSize * taps)
            var k = [Double](repeating: 0, count: taps)
            let ss = 1.0 / filterscale
            for xx in 0..<outSize {
                let center = Double(in0) + (Double(xx) + 0.5) * scale
                var ww = 0.0
                var xmin = Int(center - support + 0.5)
                if xmin < 0 { xmin = 0 }
                var xmax = Int(center + support + 0.5)
                if xmax > inSize { xmax = inSize }
                xmax -= xmin
                for x in 0..<xmax {
                    let w = BicubicResampler.kernel((Double(x + xmin) - center + 0.5) * ss)
                    k[x] = w
                    ww += w
                }
                for x in 0..<xmax where ww != 0 { k[x] /= ww }
                for x in 0..<taps {
                    let w = x < xmax ? k[x] : 0
                    let q = w < 0 ? Int32(-0.5 + w * Double(1 << precisionBits)) : Int32(0.5 + w * Double(1 << precisionBits))
                    weights[xx * taps + x] = q
                }
                first[xx] = xmin
                count[xx] = xmax
            }
        }

        /// The input range `lo ..< hi` that the output samples `outputs` read.
        func span(_ outputs: Range<Int>) -> (lo: Int, hi: Int) {
            var lo = Int.max, hi = 0
            for i in outputs {
                lo = min(lo, first[i])
                hi = max(hi, first[i] + count[i])
            }
            return (min(lo, hi), hi)
        }
    }

    /// Fractional bits of the fixed-point weights (Pillow's `PRECISION_BITS`).
    static let precisionBits = 22

    /// The bicubic convolution kernel with a = −0.5 (Keys), support 2.
    @inline(__always)
    static func kernel(_ x: Double) -> Double {
        let a = -0.5
        let x = x < 0 ? -x : x
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    @inline(__always)
    static func clip8(_ v: Int32) -> UInt8 {
        let s = v >> Int32(precisionBits)
        return s < 0 ? 0 : s > 255 ? 255 : UInt8(truncatingIfNeeded: s)
    }

    static func resample(
        _ src: UnsafeBufferPointer<UInt8>, width: Int, height: Int, to size: (width: Int, height: Int),
        crop: (x: Int, y: Int, width: Int, height: Int), into dst: UnsafeMutableBufferPointer<UInt8>
    ) {
        guard let srcBase = src.baseAddress, let dstBase = dst.baseAddress else { return }
        let needHorizontal = size.width != width
        let needVertical = size.height != height
        let horizontal = needHorizontal ? AxisCoefficients(inSize: width, outSize: size.width) : nil
        let vertical = needVertical ? AxisCoefficients(inSize: height, outSize: size.height) : nil
        let rows = crop.y..<(crop.y + crop.height), columns = crop.x..<(crop.x + crop.width)
        let outBytes = crop.width * 3

        switch (horizontal, vertical) {
        case (nil, nil):
            for r in 0..<crop.height {
                (dstBase + r * outBytes).update(from: srcBase + ((crop.y + r) * width + crop.x) * 3, count: outBytes)
            }
        case let (h?, nil):
            horizontalPass(srcBase, stride: width * 3, rows: rows, columnOffset: 0, coefficients: h,
                           columns: columns, into: dstBase)
        case let (nil, v?):
            verticalPass(srcBase + crop.x * 3, stride: width * 3, rowOffset: 0, coefficients: v,
                         rows: rows, columns: outBytes, into: dstBase)
        case let (h?, v?):
            // Pillow 13 (`ImagingResampleInner`): the vertical pass goes first when the height
            // shrinks by more than twice as many pixels as the width does.
            let shrinkY = height - size.height, shrinkX = width - size.width
            let horizontalFirst = !(shrinkY > 0 && shrinkY > shrinkX * 2)
            if horizontalFirst {
                // Horizontal pass over the input rows the cropped output rows read.
                let (lo, hi) = v.span(rows)
                let temp = UnsafeMutablePointer<UInt8>.allocate(capacity: (hi - lo) * outBytes)
                defer { temp.deallocate() }
                horizontalPass(srcBase, stride: width * 3, rows: lo..<hi, columnOffset: 0, coefficients: h,
                               columns: columns, into: temp)
                verticalPass(temp, stride: outBytes, rowOffset: lo, coefficients: v, rows: rows,
                             columns: outBytes, into: dstBase)
            } else {
                // Vertical pass over the input columns the cropped output columns read.
                let (lo, hi) = h.span(columns)
                let tempBytes = (hi - lo) * 3
                let temp = UnsafeMutablePointer<UInt8>.allocate(capacity: crop.height * tempBytes)
                defer { temp.deallocate() }
                verticalPass(srcBase + lo * 3, stride: width * 3, rowOffset: 0, coefficients: v, rows: rows,
                             columns: tempBytes, into: temp)
                horizontalPass(temp, stride: tempBytes, rows: 0..<crop.height, columnOffset: lo, coefficients: h,
                               columns: columns, into: dstBase)
            }
        }
    }

    /// `ImagingResampleHorizontal_8bpc` for RGB, restricted to `rows` and output `columns`;
    /// input pixel `x` of a row is at `(x - columnOffset) * 3`.
    static func horizontalPass(
        _ src: UnsafePointer<UInt8>, stride: Int, rows: Range<Int>, columnOffset: Int, coefficients c: AxisCoefficients,
        columns: Range<Int>, into out: UnsafeMutablePointer<UInt8>
    ) {
        c.weights.withUnsafeBufferPointer { weights in
            c.first.withUnsafeBufferPointer { first in
                c.count.withUnsafeBufferPointer { count in
                    guard let w = weights.baseAddress, let f = first.baseAddress, let n = count.baseAddress else { return }
                    horizontalKernel(src, stride: stride, rows: rows, columnOffset: columnOffset, taps: c.taps,
                                     weights: w, first: f, count: n, columns: columns, into: out)
                }
            }
        }
    }


    static func horizontalKernel(
        _ src: UnsafePointer<UInt8>, stride: Int, rows: Range<Int>, columnOffset: Int, taps: Int,
        weights: UnsafePointer<Int32>, first: UnsafePointer<Int>, count: UnsafePointer<Int>,
        columns: Range<Int>, into out: UnsafeMutablePointer<UInt8>
    ) {
        let bias = Int32(1) << Int32(precisionBits - 1)
        var o = out
        for y in rows {
            let row = src + y * stride
            for xx in columns {
                let n = count[xx]
                let k = weights + xx * taps
                // All channels at once: each tap loads 4 bytes (this pixel and the next one's
                // red, which exists for every tap but the last) as 32-bit lanes; the last tap is
                // loaded byte by byte so no read passes the end of the row.
                var sum = SIMD4<Int32>(repeating: bias)
                let p = row + (first[xx] - columnOffset) * 3
                if n > 0 {
                    for x in 0..<(n - 1) {
                        let v = UnsafeRawPointer(p + 3 * x).loadUnaligned(as: SIMD4<UInt8>.self)
                        sum &+= SIMD4<Int32>(truncatingIfNeeded: v) &* k[x]
                    }
                    let q = p + 3 * (n - 1)
                    sum &+= SIMD4<Int32>(Int32(q[0]), Int32(q[1]), Int32(q[2]), 0) &* k[n - 1]
                }
                o[0] = clip8(sum[0])
                o[1] = clip8(sum[1])
                o[2] = clip8(sum[2])
                o += 3
            }
        }
    }

    /// `ImagingResampleVertical_8bpc`, restricted to output `rows`; input row `y` is at
    /// `src + (y - rowOffset) * stride`. Accumulates whole rows so the inner loop vectorises.
    static func verticalPass(
        _ src: UnsafePointer<UInt8>, stride: Int, rowOffset: Int, coefficients c: AxisCoefficients,
        rows: Range<Int>, columns: Int, into out: UnsafeMutablePointer<UInt8>
    ) {
        let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, columns))
        defer { accumulator.deallocate() }
        c.weights.withUnsafeBufferPointer { weights in
            c.first.withUnsafeBufferPointer { first in
                c.count.withUnsafeBufferPointer { count in
                    guard let w = weights.baseAddress, let f = first.baseAddress, let n = count.baseAddress else { return }
                    verticalKernel(src, stride: stride, rowOffset: rowOffset, taps: c.taps, weights: w, first: f,
                                   count: n, rows: rows, columns: columns, accumulator: accumulator, into: out)
                }
            }
        }
    }

    static func verticalKernel(
        _ src: UnsafePointer<UInt8>, stride: Int, rowOffset: Int, taps: Int, weights: UnsafePointer<Int32>,
        first: UnsafePointer<Int>, count: UnsafePointer<Int>, rows: Range<Int>, columns: Int,
        accumulator: UnsafeMutablePointer<Int32>, into out: UnsafeMutablePointer<UInt8>
    ) {
        let bias = Int32(1) << Int32(precisionBits - 1)
        var o = out
        for yy in rows {
            accumulator.update(repeating: bias, count: columns)
            let k = weights + yy * taps
            for y in 0..<count[yy] {
                let w = k[y]
                let line = src + (first[yy] + y - rowOffset) * stride
                for i in 0..<columns { accumulator[i] &+= Int32(line[i]) &* w }
            }
            for i in 0..<columns { o[i] = clip8(accumulator[i]) }
            o += columns
        }
    }
}
