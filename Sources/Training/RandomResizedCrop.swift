import Tensors
import Datasets
import Foundation

/// torchvision's `RandomResizedCrop(size, scale, ratio, interpolation=BICUBIC)`, the
/// reference's training transform (open_clip, spec §4.2: scale (0.9, 1.0)).
///
/// The crop box follows `RandomResizedCrop.get_params` (ten tries of a random area fraction in
/// `scale` and a log-uniform aspect ratio in `ratio`, then a centre-crop fallback); the box is
/// cropped and resized to `size × size` with Pillow's bicubic filter (``BicubicResampler``).
/// The random draws come from a ``SeededRandom``, not from PyTorch's generator.
public struct RandomResizedCrop: Sendable, Equatable {
    /// Output side.
    public var size: Int
    /// Range of the crop's area as a fraction of the image's.
    public var scale: ClosedRange<Double>
    /// Range of the crop's aspect ratio (width / height).
    public var ratio: ClosedRange<Double>

    /// The transform; defaults are the reference's.
    public init(size: Int, scale: ClosedRange<Double> = 0.9...1.0, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        self.size = size
        self.scale = scale
        self.ratio = ratio
    }

    /// The crop box `(x, y, width, height)` for a `width × height` image.
    public func box(width: Int, height: Int, using rng: inout SeededRandom) -> (x: Int, y: Int, width: Int, height: Int) {
        let area = Double(width * height)
        let logRatio = (Foundation.log(ratio.lowerBound), Foundation.log(ratio.upperBound))
        for _ in 0..<10 {
            let target = area * rng.uniform(scale.lowerBound, scale.upperBound)
            let aspect = Foundation.exp(rng.uniform(logRatio.0, logRatio.1))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0, w <= width, h > 0, h <= height {
                let y = rng.int(below: height - h + 1), x = rng.int(below: width - w + 1)
                return (x, y, w, h)
            }
        }
        let inRatio = Double(width) / Double(height)
        var w = width, h = height
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((width - w) / 2, (height - h) / 2, w, h)
    }

    /// The cropped and resized image, `size × size`.
    public func callAsFunction(_ image: RGBImage, using rng: inout SeededRandom) -> RGBImage {
        let b = box(width: image.width, height: image.height, using: &rng)
        let crop = (b.x == 0 && b.y == 0 && b.width == image.width && b.height == image.height)
            ? image : image.cropped(x: b.x, y: b.y, width: b.width, height: b.height)
        return BicubicResampler.resize(crop, to: (size, size))
    }
}
