/// The kind of an image file, detected from its first bytes (never from its name).
public enum ImageKind: String, Sendable, Equatable, CaseIterable {
    /// JPEG (`FF D8 FF`), decoded with libjpeg-turbo.
    case jpeg = "JPEG"
    /// PNG, decoded with libpng.
    case png = "PNG"
    /// Binary Netpbm: P5 (graymap) or P6 (pixmap).
    case pnm = "PPM/PGM"
    /// ASCII or bitmap Netpbm variants (P1–P4, P7 PAM, Pf), recognised but not decoded.
    case otherNetpbm = "Netpbm (ASCII, bitmap, PAM or float)"
    /// GIF (refused).
    case gif = "GIF"
    /// Windows bitmap (refused).
    case bmp = "BMP"
    /// WebP (refused).
    case webp = "WebP"
    /// TIFF (refused).
    case tiff = "TIFF"
    /// JPEG 2000, codestream or JP2 (refused).
    case jpeg2000 = "JPEG 2000"
    /// An ISO-BMFF `ftyp` file: HEIF, AVIF (refused).
    case heif = "HEIF/AVIF"
    /// Quite OK Image (refused).
    case qoi = "QOI"
    /// Photoshop document (refused).
    case psd = "Photoshop PSD"
    /// Windows icon (refused).
    case ico = "ICO"
    /// No known signature: not an image, or one Lines does not recognise.
    case unknown = "unknown"

    /// Whether ``ImageDecoder`` can decode this kind.
    public var isSupported: Bool { self == .jpeg || self == .png || self == .pnm }

    /// Detects the kind of `bytes` from its signature.
    public static func detect(_ bytes: [UInt8]) -> ImageKind {
        func starts(_ sig: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + sig.count && Array(bytes[offset..<(offset + sig.count)]) == sig
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P") {
            switch bytes[1] {
            case UInt8(ascii: "5"), UInt8(ascii: "6"): return .pnm
            case UInt8(ascii: "1")...UInt8(ascii: "4"), UInt8(ascii: "7"), UInt8(ascii: "f"), UInt8(ascii: "F"):
                return .otherNetpbm
            default: break
            }
        }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("BM".utf8)) { return .bmp }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .webp }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) { return .jpeg2000 }
        if starts(Array("ftyp".utf8), at: 4) { return .heif }
        if starts(Array("qoif".utf8)) { return .qoi }
        if starts(Array("8BPS".utf8)) { return .psd }
        if starts([0x00, 0x00, 0x01, 0x00]) { return .ico }
        return .unknown
    }
}
