/// A block of equally sized 8-bit grayscale images held in memory (an IDX image file's contents),
/// shared by the samples that point into it.
public final class GrayImageSet: Sendable {
    /// The file the images came from, for messages.
    public let file: String
    /// Number of images.
    public let count: Int
    /// Rows per image.
    public let rows: Int
    /// Columns per image.
    public let columns: Int
    /// `count × rows × columns` bytes, image after image, row-major.
    public let pixels: [UInt8]

    /// Wraps `pixels`.
    /// - Precondition: `pixels.count == count * rows * columns`.
    public init(file: String, count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        precondition(pixels.count == count * rows * columns, "GrayImageSet: \(pixels.count) bytes for \(count)×\(rows)×\(columns)")
        self.file = file
        self.count = count
        self.rows = rows
        self.columns = columns
        self.pixels = pixels
    }

    /// The gray bytes of image `index`.
    /// - Precondition: `0 <= index < count`.
    public func gray(at index: Int) -> ArraySlice<UInt8> {
        precondition(index >= 0 && index < count, "image \(index) of \(count)")
        let size = rows * columns
        return pixels[(index * size)..<((index + 1) * size)]
    }

    /// Image `index` as RGB (gray replicated), what `Image.fromarray(x, mode="L").convert("RGB")` gives.
    public func image(at index: Int) -> RGBImage {
        RGBImage(width: columns, height: rows, gray: Array(gray(at: index)))
    }
}
