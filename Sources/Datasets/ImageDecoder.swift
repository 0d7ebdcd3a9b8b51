import Checkpoints
import Foundation

/// Decodes JPEG, PNG and binary PPM/PGM files to ``RGBImage``, exactly as Pillow's
/// `Image.open(f).convert("RGB")` does.
///
/// The kind is detected from the content (magic bytes), never from the file name.
/// - JPEG goes through the system libjpeg-turbo with Pillow's settings (JDCT_ISLOW, fancy
///   upsampling); grayscale is replicated, CMYK/YCCK is read as Adobe-inverted CMYK and
///   converted with Pillow's `cmyk2rgb`. Measured against Pillow 13 (libjpeg-turbo 3.x): bit-exact
///   on every fixture and on the real JPEGs of `shared/data`.
/// - PNG goes through the system libpng: every colour type, bit depths 1–16, interlacing.
///   Alpha is dropped (not composited), 16-bit colour keeps the high byte and 16-bit gray is
///   clipped to 255, as Pillow's `I;16` to `RGB` conversion does. Bit-exact.
/// - PPM/PGM (P6/P5) are parsed by hand: comments, any maxval from 1 to 65535, rescaled with
///   Pillow's rounding. Bit-exact.
///
/// Truncated or damaged data throws; library errors never terminate the process.
public enum ImageDecoder {
    /// Largest accepted `width × height`, Pillow's decompression-bomb error threshold
    /// (`2 * Image.MAX_IMAGE_PIXELS`).
    public static let maxPixels = 178_956_970

    /// Reads and decodes the image file at `url`.
    /// - Throws: ``ImageError`` naming the file: unreadable, empty, unsupported kind or variant,
    ///   truncated, corrupt or too large.
    public static func decode(contentsOf url: URL) throws -> RGBImage {
        try MappedFile.withContents(of: url, unreadable: { ImageError.unreadable(file: url.path, reason: $0) }) {
            try decode(bytes: $0, name: url.path)
        }
    }

    /// Decodes an image held in memory; `name` is used in error messages only.
    /// - Throws: ``ImageError`` naming `name`.
    public static func decode(data: [UInt8], name: String) throws -> RGBImage {
        try data.withUnsafeBytes { try decode(bytes: $0, name: name) }
    }

    /// Decodes the image in `bytes` without copying them; `name` is used in error messages only.
    /// - Throws: ``ImageError`` naming `name`.
    public static func decode(bytes data: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        guard !data.isEmpty else { throw ImageError.empty(file: name) }
        let kind = ImageKind.detect(Array(data.prefix(16)))
        switch kind {
        case .jpeg: return try _CodecBridge.decodeJPEG(data, name: name)
        case .png: return try _CodecBridge.decodePNG(data, name: name)
        case .pnm: return try PNMReader.decode(Array(data), name: name)
        case .otherNetpbm:
            let magic = String(decoding: data.prefix(2), as: UTF8.self)
            throw ImageError.unsupportedVariant(
                file: name, kind: kind, detail: "Netpbm type \(magic) (only binary P5 graymaps and P6 pixmaps are read)")
        default:
            throw ImageError.unsupportedKind(file: name, kind: kind, firstBytes: Array(data.prefix(8)))
        }
    }
}
