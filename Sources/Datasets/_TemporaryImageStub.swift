// TEMPORARY STUB — replaced at merge by the real `Datasets` module (image decoding with
// libjpeg-turbo/libpng, Pillow-exact bicubic resize, center crop, CLIP normalisation), written on
// another branch. It declares exactly the API the CLIP commands use, and every entry point throws
// or traps with "not yet available". Delete this file when merging that branch.
import Foundation

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC).
public struct RGBImage: Sendable {
    public var width: Int
    public var height: Int
    /// `height · width · 3` bytes, R G B per pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// TEMPORARY: the error the stub throws.
public struct ImageDecodingNotYetAvailable: Error, CustomStringConvertible {
    public var path: String
    public var description: String {
        "\(path): image decoding is not yet available in this build (Datasets module pending); pass a preprocessed tensor with --pixels instead"
    }
}

/// Decodes image files (TEMPORARY stub: always throws).
public enum ImageDecoder {
    /// Decodes `url` into RGB. - Throws: always, until the real module lands.
    public static func decode(contentsOf url: URL) throws -> RGBImage {
        throw ImageDecodingNotYetAvailable(path: url.path)
    }
}

/// CLIP eval preprocessing: bicubic resize of the shorter side, center crop, normalise (TEMPORARY stub).
public struct CLIPPreprocessor: Sendable {
    public var size: Int
    public init(size: Int) { self.size = size }
    /// CHW `3 × size × size` floats. - Precondition: never called while the stub is in place
    /// (``ImageDecoder`` throws first).
    public func callAsFunction(_ image: RGBImage) -> [Float] {
        preconditionFailure("CLIPPreprocessor is not yet available (TEMPORARY stub)")
    }
}
