/// Why an image file could not be decoded; every case names the file.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// The file is empty.
    case empty(file: String)
    /// The file is an image kind Lines does not decode (GIF, BMP, WebP, …) or not an image.
    case unsupportedKind(file: String, kind: ImageKind, firstBytes: [UInt8])
    /// A JPEG, PNG or PPM/PGM feature Lines does not decode (e.g. 12-bit JPEG, PPM maxval 0).
    case unsupportedVariant(file: String, kind: ImageKind, detail: String)
    /// The data ends before the image is complete.
    case truncated(file: String, kind: ImageKind, detail: String)
    /// The data is damaged; `detail` is the decoder's own message.
    case corrupt(file: String, kind: ImageKind, detail: String)
    /// The header announces more pixels than ``ImageDecoder/maxPixels`` (a decompression bomb
    /// guard, Pillow's limit); nothing was allocated.
    case tooLarge(file: String, kind: ImageKind, width: Int, height: Int, limit: Int)
    /// Memory for the pixels could not be allocated.
    case outOfMemory(file: String, kind: ImageKind, width: Int, height: Int)

    /// The file the error is about.
    public var file: String {
        switch self {
        case let .unreadable(f, _), let .empty(f), let .unsupportedKind(f, _, _), let .unsupportedVariant(f, _, _),
             let .truncated(f, _, _), let .corrupt(f, _, _), let .tooLarge(f, _, _, _, _), let .outOfMemory(f, _, _, _):
            return f
        }
    }

    /// One sentence naming the file, what is wrong, and what to do when there is something to do.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read image file \(file): \(reason)."
        case let .empty(file):
            return "image file \(file) is empty."
        case let .unsupportedKind(file, kind, first):
            let hex = first.prefix(8).map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
            if kind == .unknown {
                return "\(file) is not a JPEG, PNG or PPM/PGM image (its first bytes are \(hex)); convert it to PNG or JPEG."
            }
            return "\(file) is a \(kind.rawValue) image, which Lines does not decode; convert it to PNG or JPEG."
        case let .unsupportedVariant(file, kind, detail):
            return "\(file) is a \(kind.rawValue) image Lines cannot decode: \(detail)."
        case let .truncated(file, kind, detail):
            return "\(kind.rawValue) image \(file) is truncated: \(detail)."
        case let .corrupt(file, kind, detail):
            return "\(kind.rawValue) image \(file) is corrupt: \(detail)."
        case let .tooLarge(file, kind, width, height, limit):
            return "\(kind.rawValue) image \(file) is \(width)×\(height) pixels, more than the limit of \(limit) pixels."
        case let .outOfMemory(file, kind, width, height):
            return "out of memory decoding the \(width)×\(height) \(kind.rawValue) image \(file)."
        }
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
