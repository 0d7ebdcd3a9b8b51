/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes R, G, B.
///
/// This is what ``ImageDecoder`` returns for every supported file, after the conversion that
/// Pillow's `Image.convert("RGB")` performs (grayscale replicated, palette looked up, alpha
/// dropped without compositing, CMYK converted with Pillow's formula).
public struct RGBImage: Sendable, Equatable {
    /// Number of pixels per row.
    public var width: Int
    /// Number of rows.
    public var height: Int
    /// Interleaved samples in HWC order (row-major, RGB), `width * height * 3` bytes.
    public var pixels: [UInt8]

    /// Creates an image from interleaved RGB bytes.
    /// - Precondition: `pixels.count == width * height * 3` and both sizes are non-negative.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes for \(width)×\(height)×3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Creates an RGB image from one gray byte per pixel, replicating it into R, G and B.
    /// - Precondition: `gray.count == width * height`.
    public init(width: Int, height: Int, gray: [UInt8]) {
        precondition(width >= 0 && height >= 0 && gray.count == width * height,
                     "RGBImage: \(gray.count) gray bytes for \(width)×\(height)")
        var rgb = [UInt8](repeating: 0, count: gray.count * 3)
        rgb.withUnsafeMutableBufferPointer { out in
            for (i, v) in gray.enumerated() {
                out[3 * i] = v
                out[3 * i + 1] = v
                out[3 * i + 2] = v
            }
        }
        self.init(width: width, height: height, pixels: rgb)
    }

    /// The rectangle `x ..< x + width`, `y ..< y + height` as a new image.
    /// - Precondition: the rectangle lies inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)×\(h)+\(x)+\(y) outside a \(width)×\(height) image")
        var out = [UInt8](repeating: 0, count: w * h * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let s = ((y + row) * width + x) * 3
                    for i in 0..<(w * 3) { dst[row * w * 3 + i] = src[s + i] }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
