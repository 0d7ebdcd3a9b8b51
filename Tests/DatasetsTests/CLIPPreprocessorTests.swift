import Checkpoints
import Foundation
import Tensors
import Testing
@testable import Datasets
import TestSupport

@Suite("Pillow bicubic resize and the CLIP eval transform")
struct CLIPPreprocessorTests {
    @Test("resize is bit-identical to Pillow's Image.resize(BICUBIC): down, up, one axis, 1×1, extreme aspect")
    func resizeBitExact() throws {
        let file = try expectedFile()
        let all = try cases("resize")
        #expect(all.count >= 10)
        for c in all {
            let source = try ImageDecoder.decode(contentsOf: fixture(c.source))
            let ours = BicubicResampler.resize(source, to: (c.numbers[0], c.numbers[1]))
            let reference = try bytesTensor(file, "resize/\(c.name)")
            #expect([ours.height, ours.width, 3] == reference.shape, "\(c.name)")
            #expect(ours.pixels == reference.bytes, "\(c.name): max diff \(maxDifference(ours.pixels, reference.bytes))")
        }
    }

    @Test("Pillow 13 pass order: vertical pass first when the height shrinks by more than twice the width (regression: rgb_wide differed by 6)")
    func verticalFirstPassOrder() throws {
        let source = try ImageDecoder.decode(contentsOf: fixture("rgb.png"))
        let reference = try bytesTensor(try expectedFile(), "resize/rgb_wide")
        #expect(BicubicResampler.resize(source, to: (200, 3)).pixels == reference.bytes)
    }

    @Test("resizing a crop equals cropping the full resize")
    func cropEqualsFullResize() throws {
        let source = try ImageDecoder.decode(contentsOf: fixture("big.png"))
        // Horizontal-first, both upscales, one axis only, and vertical-first (height shrinks most).
        for (size, crop) in [((64, 48), (5, 3, 40, 30)), ((300, 222), (17, 0, 200, 222)), ((161, 60), (0, 7, 161, 9)),
                             ((200, 20), (10, 2, 150, 15)), ((90, 30), (0, 0, 90, 30))] {
            let full = BicubicResampler.resize(source, to: size)
            let part = BicubicResampler.resize(source, to: size, crop: (crop.0, crop.1, crop.2, crop.3))
            #expect(part == full.cropped(x: crop.0, y: crop.1, width: crop.2, height: crop.3))
        }
    }

    @Test("the transform equals torchvision's Compose on Pillow: max abs error 0 (tolerance 1e-6)")
    func matchesTorchvision() throws {
        let file = try expectedFile()
        for c in try cases("clip") {
            let image = try ImageDecoder.decode(contentsOf: fixture(c.source))
            let ours = CLIPPreprocessor(size: c.numbers[0])(image)
            let reference = try floats(file, "clip/\(c.name)")
            let diff = maxDifference(ours, reference)
            #expect(diff <= 1e-6, "\(c.name): max abs error \(diff)")
            #expect(diff == 0, "\(c.name): max abs error \(diff)")
        }
    }

    @Test("palette, RGBA and CMYK sources: Pillow resamples them in their own mode (measured, not required)")
    func otherModesMeasured() throws {
        let file = try expectedFile()
        for c in try cases("clipmode") {
            let image = try ImageDecoder.decode(contentsOf: fixture(c.source))
            let diff = maxDifference(CLIPPreprocessor(size: c.numbers[0])(image), try floats(file, "clipmode/\(c.name)"))
            print("reference transform on the \(c.source) mode vs ours on RGB: max abs difference \(diff)")
            #expect(diff.isFinite)
        }
    }

    @Test("torchvision's size rule and crop rounding")
    func geometry() {
        let p = CLIPPreprocessor(size: 224)
        #expect(p.resizedSize(width: 640, height: 480) == (298, 224))
        #expect(p.resizedSize(width: 300, height: 451) == (224, 336))
        #expect(p.resizedSize(width: 224, height: 224) == (224, 224))
        #expect(p.resizedSize(width: 5000, height: 3) == (373_333, 224))
        #expect(p.valuesPerImage == 3 * 224 * 224)
    }

    @Test("preprocessBatch on all cores equals one image at a time; failures are reported per file")
    func batch() throws {
        let p = CLIPPreprocessor(size: 32)
        let names = ["big.jpg", "gray.png", "strip.jpg", "rgb.ppm", "bad_truncated.jpg", "palette.png"]
        let urls = names.map(fixture)
        let (pixels, failures) = p.preprocessBatch(contentsOf: urls)
        #expect(failures.map(\.index) == [4])
        #expect(failures.first?.error.file == urls[4].path)
        var images: [RGBImage] = []
        for (i, url) in urls.enumerated() where i != 4 {
            let image = try ImageDecoder.decode(contentsOf: url)
            images.append(image)
            #expect(Array(pixels[(i * p.valuesPerImage)..<((i + 1) * p.valuesPerImage)]) == p(image))
        }
        #expect(pixels[(4 * p.valuesPerImage)..<(5 * p.valuesPerImage)].allSatisfy { $0 == 0 })
        let batch = p.preprocessBatch(images)
        #expect(batch == images.flatMap { p($0) })
    }
}

@Suite("the real DTD JPEGs of shared/data against Pillow + torchvision")
struct SharedDataPreprocessingTests {
    /// Unoptimised SIMD code is ~100× slower, so debug builds check the 224 resize on every
    /// fourth image (25 of 100); `swift test -c release` checks all of them.
    #if DEBUG
    static let resizeStride = 4
    #else
    static let resizeStride = 1
    #endif

    @Test("dtd-subset: 100 JPEGs decode bit-exactly and resize+crop to 224 bit-exactly; size-64 transform max abs error 0",
          .enabled(if: sharedDataExists("dtd-subset"), "../shared/data/dtd-subset is absent; skipped"))
    func dtd() throws {
        let reference = try SafetensorsFile(url: fixture("dtd.safetensors"))
        guard let json = reference.metadata["files"], let files = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String] else {
            throw FixtureError.missing("dtd.safetensors metadata files")
        }
        let sizes = int64s(try reference.read("sizes"))
        let sums = int64s(try reference.read("checksums"))
        let clip = try floats(reference, "clip64_first3")
        let base = sharedData.appendingPathComponent("dtd-subset/images")
        let p224 = CLIPPreprocessor(size: 224), p64 = CLIPPreprocessor(size: 64)
        let urls = files.map { base.appendingPathComponent($0) }
        var decodedMismatches = 0, cropMismatches = 0
        // Decode and resize in parallel (the debug build is slow); compare afterwards.
        var results = [(w: Int, h: Int, decoded: Int64, cropped: Int64, clip: [Float])?](repeating: nil, count: urls.count)
        try results.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let out = SendablePointer(base)
            let errors = ErrorBox()
            Parallel.forEach(urls.count) { i in
                do {
                    let image = try ImageDecoder.decode(contentsOf: urls[i])
                    let cropped = i % Self.resizeStride == 0 ? checksum(p224.resizedAndCropped(image).pixels) : sums[2 * i + 1]
                    (out.pointer + i).pointee = (image.width, image.height, checksum(image.pixels), cropped,
                                                 i < 3 ? p64(image) : [])
                } catch { errors.set(error) }
            }
            if let e = errors.error { throw e }
        }
        for (i, r) in results.enumerated() {
            guard let r else { continue }
            #expect(Int64(r.w) == sizes[2 * i] && Int64(r.h) == sizes[2 * i + 1], "\(files[i])")
            if r.decoded != sums[2 * i] { decodedMismatches += 1 }
            if r.cropped != sums[2 * i + 1] { cropMismatches += 1 }
            if i < 3 {
                let diff = maxDifference(r.clip, Array(clip[(i * 3 * 64 * 64)..<((i + 1) * 3 * 64 * 64)]))
                #expect(diff == 0, "\(files[i]): max abs error \(diff)")
            }
        }
        print("dtd-subset: \(files.count) JPEGs; decoded checksum mismatches \(decodedMismatches), 224 resize+crop mismatches \(cropMismatches) (of \((files.count + Self.resizeStride - 1) / Self.resizeStride) checked)")
        #expect(decodedMismatches == 0)
        #expect(cropMismatches == 0)
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ e: Error) { lock.lock(); error = error ?? e; lock.unlock() }
}
