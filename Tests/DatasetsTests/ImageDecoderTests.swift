import Checkpoints
import Foundation
import Testing
@testable import Datasets
import TestSupport

@Suite("decoding JPEG, PNG and PPM/PGM like Pillow")
struct ImageDecoderTests {
    static let pngAndPNM = [
        "rgb.png", "big.png", "rgba.png", "gray.png", "gray_alpha.png", "palette.png", "gray_1bit.png", "gray16.png",
        "gray_2bit.png", "gray_4bit.png", "palette_4bit.png", "palette_short.png", "rgb16.png", "rgba16.png", "gray_alpha16.png",
        "rgb_interlaced.png", "rgb_trns.png", "rgb.ppm", "gray.pgm", "gray16.pgm", "gray1000.pgm", "rgb4095.ppm",
        "rgb15.ppm", "rgb100_over.ppm",
    ]
    static let jpegs = [
        "rgb420.jpg", "rgb444.jpg", "rgb422.jpg", "progressive.jpg", "big.jpg", "gray.jpg", "cmyk.jpg", "strip.jpg",
        "jpeg_named.png",
    ]

    @Test("PNG (every colour type and depth) and PPM/PGM equal Pillow's convert(\"RGB\") exactly", arguments: pngAndPNM)
    func losslessExact(name: String) throws {
        let image = try ImageDecoder.decode(contentsOf: fixture(name))
        let reference = try bytesTensor(try expectedFile(), "decoded/\(name)")
        #expect([image.height, image.width, 3] == reference.shape)
        #expect(image.pixels == reference.bytes)
    }

    @Test("JPEG (4:2:0, 4:2:2, 4:4:4, progressive, gray, CMYK) equals Pillow: tolerance ±2, measured 0", arguments: jpegs)
    func jpegMatchesPillow(name: String) throws {
        let image = try ImageDecoder.decode(contentsOf: fixture(name))
        let reference = try bytesTensor(try expectedFile(), "decoded/\(name)")
        #expect([image.height, image.width, 3] == reference.shape)
        let diff = maxDifference(image.pixels, reference.bytes)
        #expect(diff <= 2)
        #expect(diff == 0, "libjpeg-turbo ISLOW should be bit-exact with Pillow's; max diff \(diff)")
    }

    @Test("decoding from memory equals decoding the file; the kind comes from the content, not the name")
    func detectionByContent() throws {
        let data = [UInt8](try Data(contentsOf: fixture("jpeg_named.png")))
        #expect(ImageKind.detect(data) == .jpeg)
        #expect(try ImageDecoder.decode(data: data, name: "x") == ImageDecoder.decode(contentsOf: fixture("rgb420.jpg")))
    }

    /// Each bad fixture and the error it must give.
    static let badFiles: [(String, (ImageError) -> Bool)] = [
        ("bad_no_eoi.jpg", { if case .truncated(_, .jpeg, _) = $0 { return true }; return false }),
        ("bad_truncated.jpg", { if case .truncated(_, .jpeg, _) = $0 { return true }; return false }),
        ("bad_truncated_progressive.jpg", { if case .truncated(_, .jpeg, _) = $0 { return true }; return false }),
        ("bad_truncated.png", { if case .truncated(_, .png, _) = $0 { return true }; return false }),
        ("bad_truncated.ppm", { if case .truncated(_, .pnm, _) = $0 { return true }; return false }),
        ("bad_crc.png", { if case .corrupt(_, .png, _) = $0 { return true }; return false }),
        ("bad_zlib.png", { if case .corrupt(_, .png, _) = $0 { return true }; return false }),
        ("bad_garbage.jpg", { if case .corrupt(_, .jpeg, _) = $0 { return true }; return false }),
        ("bad_bomb.png", { if case .tooLarge(_, .png, 100_000, 100_000, _) = $0 { return true }; return false }),
        ("bad_bomb.jpg", { if case .tooLarge(_, .jpeg, 65000, 65000, _) = $0 { return true }; return false }),
        ("bad_maxval.ppm", { if case .unsupportedVariant(_, .pnm, _) = $0 { return true }; return false }),
        ("bad_token.ppm", { if case .corrupt(_, .pnm, _) = $0 { return true }; return false }),
        ("bad_plain.ppm", { if case .unsupportedVariant(_, .otherNetpbm, _) = $0 { return true }; return false }),
        ("bad_empty.png", { if case .empty = $0 { return true }; return false }),
        ("bad_unknown.bin", { if case .unsupportedKind(_, .unknown, _) = $0 { return true }; return false }),
        ("bad_kind.gif", { if case .unsupportedKind(_, .gif, _) = $0 { return true }; return false }),
        ("bad_kind.bmp", { if case .unsupportedKind(_, .bmp, _) = $0 { return true }; return false }),
        ("bad_kind.webp", { if case .unsupportedKind(_, .webp, _) = $0 { return true }; return false }),
        ("bad_kind.tiff", { if case .unsupportedKind(_, .tiff, _) = $0 { return true }; return false }),
        ("does_not_exist.jpg", { if case .unreadable = $0 { return true }; return false }),
    ]

    @Test("every corrupt, truncated, hostile or unsupported file gives its error, naming the file", arguments: 0..<badFiles.count)
    func badInput(index: Int) throws {
        let (name, matches) = Self.badFiles[index]
        let url = fixture(name)
        do {
            let image = try ImageDecoder.decode(contentsOf: url)
            Issue.record("\(name) decoded to \(image.width)×\(image.height)")
        } catch let error as ImageError {
            #expect(matches(error), "\(name): \(error)")
            #expect(error.file == url.path)
            #expect(error.description.contains(url.path))
        }
    }

    @Test("the fuzzer's slow input: 493 bytes declaring 11520×15104 CMYK is refused as truncated before any pixel is allocated")
    func fuzzerFindings() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/jpeg")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty)
        for name in files {
            let data = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            do {
                let image = try ImageDecoder.decode(data: data, name: name)
                Issue.record("\(name) decoded to \(image.width)×\(image.height)")
            } catch let error as ImageError {
                guard case .truncated(_, .jpeg, let detail) = error else { Issue.record("\(name): \(error)"); continue }
                #expect(detail.contains("11520x15104 pixels need at least 339840 bytes of coded data; the file has 493"), "\(detail)")
            }
        }
    }

    @Test("every prefix of a JPEG and a PNG either decodes or throws (no crash, no exit)")
    func everyPrefix() throws {
        for name in ["rgb420.jpg", "rgb.png", "progressive.jpg"] {
            let data = [UInt8](try Data(contentsOf: fixture(name)))
            let step = max(1, data.count / 300)
            for n in stride(from: 0, to: data.count, by: step) {
                _ = try? ImageDecoder.decode(data: Array(data.prefix(n)), name: name)
            }
        }
    }

    @Test("single-byte corruptions of a JPEG and a PNG never crash")
    func bitFlips() throws {
        var generator = SystemRandomNumberGenerator()
        for name in ["rgb420.jpg", "rgb.png", "gray.pgm"] {
            let data = [UInt8](try Data(contentsOf: fixture(name)))
            for _ in 0..<200 {
                var copy = data
                copy[Int.random(in: 0..<copy.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                _ = try? ImageDecoder.decode(data: copy, name: name)
            }
        }
    }
}

@Suite("decoding the real images of shared/data against their *-decoded.safetensors")
struct SharedDataDecodingTests {
    /// Decodes `files` and compares each with image `i` of `reference`'s `images` tensor.
    func compare(folder: String, files: [String], reference: String, gray: Bool) throws -> (maxDiff: Int, count: Int) {
        let base = sharedData.appendingPathComponent(folder)
        let images = try SafetensorsFile(url: base.appendingPathComponent(reference)).read("images")
        let (n, h, w) = (images.shape[0], images.shape[1], images.shape[2])
        #expect(n == files.count)
        let per = h * w * (gray ? 1 : 3)
        var worst = 0
        for (i, file) in files.enumerated() {
            let image = try ImageDecoder.decode(contentsOf: base.appendingPathComponent(file))
            #expect(image.width == w && image.height == h)
            let ref = Array(images.data[(i * per)..<((i + 1) * per)])
            let ours = gray ? stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] } : image.pixels
            worst = max(worst, maxDifference(ours, ref))
        }
        return (worst, files.count)
    }

    func lines(_ folder: String, _ name: String) throws -> [String] {
        try String(contentsOf: sharedData.appendingPathComponent(folder).appendingPathComponent(name), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    @Test("cifar10-jpeg: 2,000 JPEGs within ±2 of Pillow (measured max diff 0)",
          .enabled(if: sharedDataExists("cifar10-jpeg"), "../shared/data/cifar10-jpeg is absent; skipped"))
    func cifar10() throws {
        for split in ["test", "train"] {
            let result = try compare(folder: "cifar10-jpeg", files: try lines("cifar10-jpeg", "\(split)-files.txt"),
                                     reference: "\(split)-decoded.safetensors", gray: false)
            print("cifar10-jpeg/\(split): \(result.count) images, max |ours - Pillow| = \(result.maxDiff)")
            #expect(result.maxDiff <= 2)
            #expect(result.maxDiff == 0)
        }
    }

    @Test("fer2013-subset: 210 grayscale JPEGs within ±2 of Pillow (measured max diff 0)",
          .enabled(if: sharedDataExists("fer2013-subset"), "../shared/data/fer2013-subset is absent; skipped"))
    func fer2013() throws {
        let result = try compare(folder: "fer2013-subset", files: try lines("fer2013-subset", "test-files.txt"),
                                 reference: "test-decoded.safetensors", gray: true)
        print("fer2013-subset: \(result.count) images, max |ours - Pillow| = \(result.maxDiff)")
        #expect(result.maxDiff <= 2)
        #expect(result.maxDiff == 0)
    }

    @Test("gtsrb32: 3,010 PPMs (with OpenCV comment lines) equal Pillow exactly",
          .enabled(if: sharedDataExists("gtsrb32"), "../shared/data/gtsrb32 is absent; skipped"))
    func gtsrb() throws {
        for split in ["test", "train"] {
            let rows = try lines("gtsrb32", "\(split)/GT-\(split)-subset.csv").dropFirst()
            let files = rows.compactMap { $0.split(separator: ";").first.map { "\(split)/\($0)" } }
            let result = try compare(folder: "gtsrb32", files: files, reference: "\(split)-decoded.safetensors", gray: false)
            print("gtsrb32/\(split): \(result.count) images, max |ours - Pillow| = \(result.maxDiff)")
            #expect(result.maxDiff == 0)
        }
    }
}

@Suite("dataset files that are not regular files")
struct DatasetFileKindTests {
    @Test("an image path that is a FIFO or a folder, a MAT or gzip path that is a FIFO: one sentence naming the file, no blocking read")
    func notRegular() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-kinds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("image.png")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        #expect {
            _ = try ImageDecoder.decode(contentsOf: fifo)
        } throws: { error in
            guard case let ImageError.unreadable(file, reason) = error else { return false }
            return file == fifo.path && reason.contains("not a regular file")
        }
        #expect(throws: ImageError.self) { _ = try ImageDecoder.decode(contentsOf: dir) }
        #expect {
            _ = try MATFile(contentsOf: fifo)
        } throws: { "\($0)".contains(fifo.path) && "\($0)".contains("not a regular file") }
        #expect {
            _ = try GzipDecoder.contents(of: fifo)
        } throws: { "\($0)".contains(fifo.path) && "\($0)".contains("not a regular file") }
    }
}
