import ArgumentParser
import CLIP
import Checkpoints
import Datasets
import Foundation
import Tensors

/// What the encoder runs on: a preprocessed pixel tensor, or image files decoded batch by batch.
enum EncoderInput {
    /// `pixels` [N, 3, S, S] float32 from a safetensors file.
    case pixels(path: String)
    /// Image files, in order (folders expanded to their sorted image files).
    case images([String])

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "pgm", "pnm", "bmp"]

    /// Expands folders into their image files (sorted by name, non-recursive).
    static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ValidationError("\(path): no such file or folder")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                    .filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
                out += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                out.append(path)
            }
        }
        return out
    }

    /// Reads and checks the `pixels` tensor (or the file's only tensor) against the encoder.
    static func readPixels(_ path: String, for encoder: VisionTransformer) throws -> Tensor {
        let reader = try Checkpoint.open(URL(fileURLWithPath: path))
        let name = reader.info("pixels") != nil ? "pixels" : (reader.tensors.count == 1 ? reader.tensors[0].name : "pixels")
        guard let info = reader.info(name) else {
            throw ValidationError("\(path) has no tensor 'pixels' [N, 3, H, W]")
        }
        let s = encoder.config.imageSize
        guard info.shape.count == 4, info.shape[1] == 3, info.shape[2] == s, info.shape[3] == s else {
            throw CLIPError.badPixels(path: path, expected: [info.shape.first ?? 0, 3, s, s], found: info.shape)
        }
        return try reader.readFloat(name)
    }

    /// Runs the encoder over every input, batch by batch, and returns the features of the inputs
    /// that could be read together with their labels (file paths, or `pixels[i]`).
    /// - Parameter skipBadImages: report an undecodable image and go on, instead of stopping.
    func encode(with encoder: VisionTransformer, batchSize: Int, skipBadImages: Bool)
        throws -> (features: Tensor, labels: [String], seconds: Double) {
        switch self {
        case .pixels(let path):
            let pixels = try Self.readPixels(path, for: encoder)
            let n = pixels.shape[0]
            let bar = ProgressBar("embed", total: n, unit: "images")
            let start = Date()
            let features = try encoder.encode(pixels, batchSize: batchSize) { bar.update($0) }
            return (features, (0..<n).map { "pixels[\($0)]" }, Date().timeIntervalSince(start))
        case .images(let paths):
            return try Self.encodeImages(paths, with: encoder, batchSize: batchSize, skipBadImages: skipBadImages)
        }
    }

    static func encodeImages(_ paths: [String], with encoder: VisionTransformer, batchSize: Int, skipBadImages: Bool)
        throws -> (features: Tensor, labels: [String], seconds: Double) {
        let s = encoder.config.imageSize, perImage = 3 * s * s
        let preprocess = CLIPPreprocessor(size: s)
        let urls = paths.map { URL(fileURLWithPath: $0) }
        var features: [Float] = []
        var labels: [String] = []
        let bar = ProgressBar("embed", total: paths.count, unit: "images")
        let start = Date()
        try encoder.encodeBatches(count: paths.count, batchSize: batchSize) { range, buffer in
            // Decoded and preprocessed on all cores; a file that fails is reported by index.
            let (pixels, failures) = preprocess.preprocessBatch(contentsOf: Array(urls[range]))
            if let first = failures.first, !skipBadImages { throw first.error }
            for f in failures { printError("skipping \(f.error)") }
            let failed = Set(failures.map(\.index))
            var kept = 0
            pixels.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                for i in 0..<range.count where !failed.contains(i) {
                    (buffer + kept * perImage).update(from: base + i * perImage, count: perImage)
                    labels.append(paths[range.lowerBound + i])
                    kept += 1
                }
            }
            return kept
        } consume: { range, batch in
            features += batch
            bar.update(range.upperBound)
        }
        guard !labels.isEmpty || paths.isEmpty else {
            throw CommandFailure(description: "none of the \(paths.count) images could be read (all were skipped); nothing was written")
        }
        return (Tensor(shape: [labels.count, encoder.config.outputDim], scalars: features), labels, Date().timeIntervalSince(start))
    }
}
