import Checkpoints
import Foundation
import Tensors

/// An on-disk cache of a split's decoded pixels, so that separate runs decode each image once.
///
/// The cache file is `<directory>/<task>-<split>-<key>.lines-pixels`, where the key is a 64-bit
/// FNV-1a hash of the split's sample list: each image file's path, size and modification time
/// (for container files — IDX, pickles, MAT, HDF5 — the container's, plus the item index). Any
/// change to the sources (checked when ``load(_:split:directory:threads:)`` is called) gives
/// another key, so a stale cache is never read; old files are left
/// for the user to delete. The file is memory-mapped on reading and written atomically.
///
/// Format: `LINESPX1`, UInt64 count, then per image UInt32 width, UInt32 height, Int64 label
/// (little-endian), then all pixels (RGB, HWC) in order.
public enum DecodeCache {
    /// The decoded split, from the cache when it holds this exact sample list, else decoded
    /// (``DecodedSplit``) and written to the cache.
    /// - Parameter bestEffort: when the cache cannot be written (a read-only folder, a full disk),
    ///   return the decoded split anyway instead of throwing; decoding errors are thrown either way.
    /// - Returns: the split, and whether it came from the cache.
    /// - Throws: decoding errors (naming the file), or ``DatasetError/unreadable(file:reason:)``
    ///   when the cache cannot be written (unless `bestEffort`).
    public static func load(_ dataset: TaskDataset, split: DatasetSplit, directory: URL,
                            threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            bestEffort: Bool = false) throws -> (split: DecodedSplit, hit: Bool) {
        let url = cacheURL(dataset, split: split, directory: directory)
        if let cached = read(url, dataset: dataset, split: split) { return (cached, true) }
        let decoded = try DecodedSplit(dataset, split: split, threads: threads)
        do { try write(decoded, to: url) } catch where bestEffort {}
        return (decoded, false)
    }

    /// Where the cache file of `split` lives; the name changes whenever a source file changes.
    public static func cacheURL(_ dataset: TaskDataset, split: DatasetSplit, directory: URL) -> URL {
        var hash = FNV1a()
        func mix(_ s: String) { hash.add(s + "\n") }
        var stats: [String: String] = [:]
        func stat(_ path: String) -> String {
            if let s = stats[path] { return s }
            let a = try? FileManager.default.attributesOfItem(atPath: path)
            let size = (a?[.size] as? NSNumber)?.int64Value ?? -1
            let time = (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let s = "\(size):\(time)"
            stats[path] = s
            return s
        }
        mix("\(dataset.task.rawValue)/\(split.rawValue)")
        for sample in dataset.samples(split) {
            mix("\(sample.location)|\(stat(sample.file))|\(sample.label)")
        }
        let name = "\(dataset.task.rawValue)-\(split.rawValue)-\(hash.hex).lines-pixels"
        return directory.appendingPathComponent(name)
    }

    static let magic = Array("LINESPX1".utf8)

    static func read(_ url: URL, dataset: TaskDataset, split: DatasetSplit) -> DecodedSplit? {
        // A cache file that cannot be read, or shrinks while it is read, is a miss.
        struct Unreadable: Error {}
        return try? MappedFile.withContents(of: url, unreadable: { _ in Unreadable() }, dropsOnFailure: true) { raw -> DecodedSplit? in
            guard raw.count >= 16, Array(raw.prefix(8)) == magic else { return nil }
            let count = Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            guard count == dataset.count(split), count <= (raw.count - 16) / 16 else { return nil }
            var images: [RGBImage] = []
            var labels: [Int] = []
            images.reserveCapacity(count)
            var pixelOffset = 16 + 16 * count
            for i in 0..<count {
                let o = 16 + 16 * i
                let w = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                let h = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self)))
                let label = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: o + 8, as: Int64.self)))
                let n = w * h * 3
                guard n <= raw.count - pixelOffset else { return nil }
                images.append(RGBImage(width: w, height: h, pixels: Array(raw[pixelOffset..<(pixelOffset + n)])))
                labels.append(label)
                pixelOffset += n
            }
            guard pixelOffset == raw.count else { return nil }
            return DecodedSplit(task: dataset.task, split: split, images: images, labels: labels)
        }
    }

    static func write(_ decoded: DecodedSplit, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let file = try AtomicFile(url: url)
            var header = magic
            header += withUnsafeBytes(of: UInt64(decoded.images.count).littleEndian, Array.init)
            for (image, label) in zip(decoded.images, decoded.labels) {
                header += withUnsafeBytes(of: UInt32(image.width).littleEndian, Array.init)
                header += withUnsafeBytes(of: UInt32(image.height).littleEndian, Array.init)
                header += withUnsafeBytes(of: Int64(label).littleEndian, Array.init)
            }
            try file.write(header, at: 0)
            var offset = header.count
            for image in decoded.images {
                try file.write(image.pixels, at: offset)
                offset += image.pixels.count
            }
            try file.commit()
        } catch let error as DatasetError {
            throw error
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: "the decode cache cannot be written: \(error)")
        }
    }
}
