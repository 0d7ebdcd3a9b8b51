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
        let s = encoder.config.imageSize, perImage = 3 * s * s, d = encoder.config.outputDim
        let capacity = max(1, min(batchSize, paths.count))
        let workspace = VisionTransformerWorkspace(config: encoder.config, batchCapacity: capacity)
        let preprocess = CLIPPreprocessor(size: s)
        var pixels = [Float](repeating: 0, count: capacity * perImage)
        var batchFeatures = [Float](repeating: 0, count: capacity * d)
        var features: [Float] = []
        var labels: [String] = []
        let bar = ProgressBar("embed", total: paths.count, unit: "images")
        let start = Date()
        var done = 0
        while done < paths.count {
            let chunk = Array(paths[done..<min(paths.count, done + capacity)])
            var results = [Result<[Float], Error>](repeating: .success([]), count: chunk.count)
            results.withUnsafeMutableBufferPointer { r in
                let rp = r.baseAddress!
                Parallel.forEach(chunk.count) { i in
                    rp[i] = Result { preprocess(try ImageDecoder.decode(contentsOf: URL(fileURLWithPath: chunk[i]))) }
                }
            }
            var kept = 0
            for (i, result) in results.enumerated() {
                switch result {
                case .success(let chw) where chw.count == perImage:
                    pixels.replaceSubrange((kept * perImage)..<((kept + 1) * perImage), with: chw)
                    labels.append(chunk[i])
                    kept += 1
                case .success(let chw):
                    let message = "\(chunk[i]): preprocessing gave \(chw.count) values, expected 3×\(s)×\(s)"
                    guard skipBadImages else { throw ValidationError(message) }
                    printError("skipping " + message)
                case .failure(let error):
                    guard skipBadImages else { throw error }
                    printError("skipping \(error)")
                }
            }
            pixels.withUnsafeBufferPointer { p in
                batchFeatures.withUnsafeMutableBufferPointer { f in
                    encoder.forward(pixels: p.baseAddress!, count: kept, features: f.baseAddress!, workspace: workspace)
                }
            }
            features += batchFeatures[0..<(kept * d)]
            done += chunk.count
            bar.update(done)
        }
        guard !labels.isEmpty || paths.isEmpty else {
            throw CommandFailure(description: "none of the \(paths.count) images could be read (all were skipped); nothing was written")
        }
        return (Tensor(shape: [labels.count, d], scalars: features), labels, Date().timeIntervalSince(start))
    }
}
