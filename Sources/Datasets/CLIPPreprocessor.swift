import Foundation
import Tensors

/// The CLIP evaluation transform of the reference (open_clip, spec §4.2), on decoded images:
/// `Resize(size, BICUBIC)` of the shorter side, `CenterCrop(size)`, `ToTensor()` and
/// `Normalize(mean, std)`, producing CHW `Float` planes.
///
/// - Resize: the shorter side becomes `size`, the longer `Int(size * long / short)`
///   (torchvision's `_compute_resized_output_size`), resampled with Pillow's bicubic filter
///   (``BicubicResampler``, bit-identical).
/// - Crop: `top = round((height - size) / 2)`, `left = round((width - size) / 2)`, rounding
///   half to even as Python's `round`; only the cropped pixels are resampled.
/// - Normalise: `(Float(v) / 255 - mean[c]) / std[c]` in `Float`, the operations torchvision
///   performs, so the output equals torchvision's exactly (max abs difference 0 measured on
///   the fixtures and real images) whenever the source was an RGB or grayscale image.
///
/// Pillow resamples some modes differently before `convert("RGB")`: palette images with
/// nearest-neighbour, RGBA/LA premultiplied, CMYK per ink, 16-bit gray in 16-bit. Those images
/// reach this type already converted to RGB, so for them the output is the bicubic resampling of
/// the RGB image, not the reference's.
public struct CLIPPreprocessor: Sendable {
    /// CLIP's per-channel mean (OpenAI), R, G, B.
    public static let clipMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    /// CLIP's per-channel standard deviation (OpenAI), R, G, B.
    public static let clipStd: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// Side of the square output (224 for the paper's ViTs).
    public let size: Int
    /// Per-channel mean subtracted after scaling to [0, 1].
    public let mean: [Float]
    /// Per-channel standard deviation divided by.
    public let std: [Float]
    /// `table[c * 256 + v]`: the normalised value of byte `v` in channel `c`.
    private let table: [Float]

    /// Creates the transform for `size × size` outputs with CLIP's mean and std.
    /// - Precondition: `size > 0`.
    public init(size: Int = 224) {
        self.init(size: size, mean: CLIPPreprocessor.clipMean, std: CLIPPreprocessor.clipStd)
    }

    /// Creates the transform with another normalisation (e.g. ImageNet's).
    /// - Precondition: `size > 0`, three means and three non-zero standard deviations.
    public init(size: Int, mean: [Float], std: [Float]) {
        precondition(size > 0 && mean.count == 3 && std.count == 3 && !std.contains(0),
                     "CLIPPreprocessor(size: \(size), mean: \(mean), std: \(std))")
        self.size = size
        self.mean = mean
        self.std = std
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 { table[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c] }
        }
        self.table = table
    }

    /// Number of floats per image: `3 * size * size`.
    public var valuesPerImage: Int { 3 * size * size }

    /// The size the shorter side resize gives a `width × height` image (torchvision's rule).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        let newLong = Int(Double(size * long) / Double(short))
        return width <= height ? (size, newLong) : (newLong, size)
    }

    /// The resized and center-cropped 8-bit image, `size × size` (the transform before
    /// `ToTensor`); bit-identical to Pillow + torchvision.
    /// - Precondition: the image is not empty.
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        let resized = resizedSize(width: image.width, height: image.height)
        let top = Int((Double(resized.height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(resized.width - size) / 2).rounded(.toNearestOrEven))
        return BicubicResampler.resize(image, to: resized, crop: (x: left, y: top, width: size, height: size))
    }

    /// Preprocesses one image into CHW floats, `3 × size × size`.
    public func callAsFunction(_ image: RGBImage) -> [Float] {
        var out = [Float](repeating: 0, count: valuesPerImage)
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { preprocess(image, into: base) }
        }
        return out
    }

    /// Preprocesses one image into `3 * size * size` floats at `destination` (CHW).
    public func preprocess(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        let cropped = resizedAndCropped(image)
        cropped.pixels.withUnsafeBufferPointer { px in
            table.withUnsafeBufferPointer { lut in
                guard let p = px.baseAddress, let t = lut.baseAddress else { return }
                CLIPPreprocessor.normalize(p, count: size * size, table: t, into: destination)
            }
        }
    }

    /// Writes the three planes of `count` RGB pixels through the per-channel lookup `table`.
    static func normalize(
        _ p: UnsafePointer<UInt8>, count plane: Int, table t: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>
    ) {
        let r = destination, g = destination + plane, b = destination + 2 * plane
        let tg = t + 256, tb = t + 512
        for i in 0..<plane {
            r[i] = t[Int(p[3 * i])]
            g[i] = tg[Int(p[3 * i + 1])]
            b[i] = tb[Int(p[3 * i + 2])]
        }
    }

    /// Preprocesses a batch on all cores (``Parallel/forEach(_:_:)`` over images) into one
    /// contiguous `[N, 3, size, size]` buffer.
    public func preprocessBatch(_ images: [RGBImage]) -> [Float] {
        var out = [Float](repeating: 0, count: images.count * valuesPerImage)
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { preprocessBatch(images[...], into: base) }
        }
        return out
    }

    /// Preprocesses `images` on all cores into `destination`, which holds
    /// `images.count × valuesPerImage` floats (for callers that reuse one buffer per batch).
    public func preprocessBatch(_ images: ArraySlice<RGBImage>, into destination: UnsafeMutablePointer<Float>) {
        let per = valuesPerImage
        let shared = SendablePointer(destination)
        images.withUnsafeBufferPointer { imgs in
            Parallel.forEach(imgs.count) { i in preprocess(imgs[i], into: shared.pointer + i * per) }
        }
    }

    /// Decodes and preprocesses image files on all cores into one `[N, 3, size, size]` buffer.
    ///
    /// A file that fails to decode leaves its slot zero and is reported in `failures` (in index
    /// order); the caller decides whether to stop (the default of `lines`) or skip it.
    public func preprocessBatch(contentsOf urls: [URL]) -> (pixels: [Float], failures: [(index: Int, error: ImageError)]) {
        let per = valuesPerImage
        var out = [Float](repeating: 0, count: urls.count * per)
        var errors = [ImageError?](repeating: nil, count: urls.count)
        out.withUnsafeMutableBufferPointer { buffer in
            errors.withUnsafeMutableBufferPointer { errorBuffer in
                guard let base = buffer.baseAddress, let errorBase = errorBuffer.baseAddress else { return }
                let shared = SendablePointer(base)
                let sharedErrors = SendablePointer(errorBase)
                Parallel.forEach(urls.count) { i in
                    do {
                        let image = try ImageDecoder.decode(contentsOf: urls[i])
                        preprocess(image, into: shared.pointer + i * per)
                    } catch let error as ImageError {
                        (sharedErrors.pointer + i).pointee = error
                    } catch {
                        (sharedErrors.pointer + i).pointee = .unreadable(file: urls[i].path, reason: "\(error)")
                    }
                }
            }
        }
        let failures = errors.enumerated().compactMap { i, e in e.map { (index: i, error: $0) } }
        return (out, failures)
    }
}
