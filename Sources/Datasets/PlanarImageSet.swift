/// A block of equally sized 8-bit RGB images stored channel-planar (`N × 3 × H × W`, the CIFAR
/// batches' `data` rows), shared by the samples that point into it and converted on decode.
public final class PlanarImageSet: Sendable {
    /// The file the images came from, for messages.
    public let file: String
    /// Number of images.
    public let count: Int
    /// Rows per image.
    public let height: Int
    /// Columns per image.
    public let width: Int
    /// `count × 3 × height × width` bytes.
    public let planes: [UInt8]
    /// Whether each plane is stored column by column (STL-10's MATLAB order) rather than row by row.
    public let columnMajor: Bool

    /// Wraps `planes`.
    /// - Precondition: `planes.count == count * 3 * height * width`.
    public init(file: String, count: Int, height: Int, width: Int, planes: [UInt8], columnMajor: Bool = false) {
        precondition(planes.count == count * 3 * height * width, "PlanarImageSet: \(planes.count) bytes for \(count)×3×\(height)×\(width)")
        self.file = file
        self.count = count
        self.height = height
        self.width = width
        self.planes = planes
        self.columnMajor = columnMajor
    }

    /// Image `index` interleaved to HWC, as torchvision's `data.transpose((0, 2, 3, 1))` then
    /// `Image.fromarray` gives it (for column-major planes, after STL-10's `transpose((0, 1, 3, 2))`).
    /// - Precondition: `0 <= index < count`.
    public func image(at index: Int) -> RGBImage {
        precondition(index >= 0 && index < count, "image \(index) of \(count)")
        let plane = height * width
        var out = [UInt8](repeating: 0, count: plane * 3)
        planes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let base = index * plane * 3
                for y in 0..<height {
                    for x in 0..<width {
                        let p = y * width + x
                        let s = base + (columnMajor ? x * height + y : p)
                        dst[3 * p] = src[s]
                        dst[3 * p + 1] = src[s + plane]
                        dst[3 * p + 2] = src[s + 2 * plane]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
