import Datasets
import Foundation

/// FER2013 as the reference reads it (`datasets.load_dataset("Jeneral/fer-2013")`: rows of
/// `img_bytes`, an encoded 48×48 face, and `labels`, 0–6 in the reference's class order), from
/// the dataset's Parquet files, written as torchvision's `fer2013.csv` (`emotion,pixels,Usage`)
/// in the rows' order, so that the loader's random validation split is the reference's. Each
/// image becomes Pillow's `convert("L")` of it (the reference's first step).
enum FER2013Parquet {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes `csv` (through a temporary sibling) from the train and test Parquet files, each list in order.
    /// - Returns: the rows of each split.
    static func writeCSV(train: [URL], test: [URL], to csv: URL) throws -> (train: Int, test: Int) {
        var counts = (train: 0, test: 0)
        try DatasetDownloader.writeWhole(csv, task: "FER2013") { append in
            try Array("emotion,pixels,Usage\n".utf8).withUnsafeBytes { try append($0) }
            for (files, usage) in [(train, "Training"), (test, "PublicTest")] {
                for file in files {
                    let n = try appendRows(file, usage: usage, to: append)
                    if usage == "Training" { counts.train += n } else { counts.test += n }
                }
            }
        }
        return counts
    }

    /// One Parquet file's rows as CSV lines.
    static func appendRows(_ file: URL, usage: String, to out: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let name = file.lastPathComponent
        let columns: (images: [[UInt8]?], labels: [Int64?])
        do {
            let parquet = try ParquetFile(url: file)
            // `img_bytes` as the reference names it; an `Image` feature stores the bytes in a struct.
            let imagePath = parquet.leaves.contains { $0.path == ["img_bytes"] } ? ["img_bytes"] : ["img_bytes", "bytes"]
            guard case let .binaries(images) = try parquet.column(imagePath), case let .integers(labels) = try parquet.column(["labels"]) else {
                throw Failure(description: "FER2013: \(name) stores img_bytes or labels with the other's type")
            }
            guard images.count == labels.count else {
                throw Failure(description: "FER2013: \(name) has \(images.count) images and \(labels.count) labels")
            }
            columns = (images, labels)
        } catch let p as ParquetFile.Failure {
            throw Failure(description: "FER2013: \(p.description)")
        }
        // The CSV's bytes built directly (digits from a table), flushed a megabyte at a time.
        var text: [UInt8] = []
        text.reserveCapacity(1 << 21)
        let digits: [[UInt8]] = (0...255).map { Array(String($0).utf8) }
        let tail = Array(",\(usage)\n".utf8)
        for (row, (bytes, label)) in zip(columns.images, columns.labels).enumerated() {
            guard let bytes, let label, (0..<7).contains(label) else {
                throw Failure(description: "FER2013: \(name) row \(row) has no image or a label outside 0–6")
            }
            let image: RGBImage
            do { image = try ImageDecoder.decode(data: bytes, name: "\(name) row \(row)") } catch {
                throw Failure(description: "FER2013: \(error)")
            }
            guard image.width == 48, image.height == 48 else {
                throw Failure(description: "FER2013: \(name) row \(row) is a \(image.width)×\(image.height) image; FER2013's faces are 48×48")
            }
            text += digits[Int(label)]
            text.append(UInt8(ascii: ","))
            for i in 0..<(48 * 48) {
                let r = Int(image.pixels[3 * i]), g = Int(image.pixels[3 * i + 1]), b = Int(image.pixels[3 * i + 2])
                // Pillow's RGB to L (Convert.c, L24).
                if i > 0 { text.append(UInt8(ascii: " ")) }
                text += digits[(r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16]
            }
            text += tail
            if text.count > 1 << 20 {
                try text.withUnsafeBytes { try out($0) }
                text.removeAll(keepingCapacity: true)
            }
        }
        try text.withUnsafeBytes { try out($0) }
        return columns.labels.count
    }
}
