import Checkpoints
import Datasets
import Foundation

/// The tasks whose files need more than extraction to become the reference's folders: DTD's and
/// SUN397's partition lists, EuroSAT's random split, PCAM's gzip'd HDF5 files. Each builds its
/// folders in the staging area and moves them into place only when whole.
extension DatasetDownloader {
    /// DTD's archive extracted, then its partition-1 lists turned into `train/` (train1 + val1)
    /// and `val/` (test1) class folders, moved into place together.
    func prepareDTD(_ archive: URL, into folder: URL, staging: URL) throws {
        let fm = FileManager.default
        let temp = staging.appendingPathComponent("extract-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: temp) }
        try extract(archive, zip: false, into: temp, provides: ["dtd"], task: "DTD", staging: staging)
        let source = temp.appendingPathComponent("dtd")
        let built = temp.appendingPathComponent("built")
        for (split, lists) in [("train", ["train1.txt", "val1.txt"]), ("val", ["test1.txt"])] {
            for list in lists {
                let listURL = source.appendingPathComponent("labels/\(list)")
                guard let text = try? String(contentsOf: listURL, encoding: .utf8) else {
                    throw Failure(description: "DTD: \(archive.lastPathComponent) has no labels/\(list), which the reference's split needs; nothing was placed")
                }
                for line in text.split(whereSeparator: \.isNewline) {
                    let rel = try TarExtractor.safePath(line.trimmingCharacters(in: .whitespaces), archive: "labels/\(list)")
                    let parts = rel.split(separator: "/")
                    guard parts.count == 2 else { throw Failure(description: "DTD: labels/\(list) lists '\(rel)', not CLASS/FILE; nothing was placed") }
                    let from = source.appendingPathComponent("images/\(rel)"), to = built.appendingPathComponent("\(split)/\(rel)")
                    guard fm.fileExists(atPath: from.path) else {
                        throw Failure(description: "DTD: labels/\(list) lists \(rel), which images/ lacks; nothing was placed")
                    }
                    try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try fm.moveItem(at: from, to: to)
                }
            }
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for split in ["train", "val"] {
            let to = folder.appendingPathComponent(split)
            try? fm.removeItem(at: to)
            try fm.moveItem(at: built.appendingPathComponent(split), to: to)
        }
    }

    /// SUN397: partition 1's lists (`Training_01.txt`, `Testing_01.txt`, lines such as
    /// `/a/abbey/sun_aaalbzqrimafwbiv.jpg`) select the images of `SUN397.tar.gz` into
    /// `train/` and `val/` (the reference's test set), each class folder named by its path with `/`
    /// made `_` (`a_abbey`, `b_bakery_shop`), whose name past its first two characters is the class.
    /// Images in neither list are not written.
    func prepareSUN397(_ archive: URL, partitions: URL, into folder: URL, staging: URL) throws {
        let fm = FileManager.default
        let temp = staging.appendingPathComponent("extract-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: temp) }
        let lists = ["Training_01.txt": "train", "Testing_01.txt": "val"]
        do {
            _ = try ZipExtractor.extract(partitions, into: temp, limit: 1 << 28) { path in
                let name = String(path.split(separator: "/").last ?? "")
                return lists[name] != nil ? "lists/\(name)" : nil
            }
        } catch let r as TarExtractor.Refusal {
            throw Failure(description: "SUN397: \(r.description); nothing was placed")
        }
        var wanted: [String: String] = [:]
        for (list, split) in lists.sorted(by: { $0.key < $1.key }) {
            guard let text = try? String(contentsOf: temp.appendingPathComponent("lists/\(list)"), encoding: .utf8) else {
                throw Failure(description: "SUN397: \(partitions.lastPathComponent) has no \(list), which the reference's split needs; nothing was placed")
            }
            for line in text.split(whereSeparator: \.isNewline) {
                // Lines start with "/": paths from the archive's SUN397/ folder.
                let rel = try TarExtractor.safePath(String(line.trimmingCharacters(in: .whitespaces).drop { $0 == "/" }), archive: list)
                let parts = rel.split(separator: "/")
                guard parts.count >= 3 else {
                    throw Failure(description: "SUN397: \(list) lists '\(rel)', not LETTER/CLASS…/FILE; nothing was placed")
                }
                wanted[rel] = "\(split)/\(parts.dropLast().joined(separator: "_"))/\(parts.last ?? "")"
            }
        }
        let built = temp.appendingPathComponent("built")
        let size = ((try? fm.attributesOfItem(atPath: archive.path))?[.size] as? NSNumber)?.int64Value ?? 0
        var tar = TarExtractor(destination: built, archive: archive.lastPathComponent, limit: max(1 << 30, size * 64))
        let found = Counter()
        tar.select = { path in
            // Members are SUN397/a/abbey/…; the lists name them from the letter on.
            let parts = path.split(separator: "/")
            guard parts.first == "SUN397", let target = wanted[parts.dropFirst().joined(separator: "/")] else { return nil }
            found.value += 1
            return target
        }
        do {
            try GzipStream.inflate(archive) { try tar.consume($0); return !tar.isFinished }
            try tar.finish()
        } catch let r as TarExtractor.Refusal {
            throw Failure(description: "SUN397: \(r.description); nothing was extracted")
        } catch let g as GzipStream.Failure {
            throw Failure(description: "SUN397: \(archive.lastPathComponent) cannot be read: \(g.reason); nothing was extracted")
        }
        guard found.value == wanted.count else {
            throw Failure(description: "SUN397: \(archive.lastPathComponent) holds \(found.value) of the \(wanted.count) images partition 1 lists; nothing was placed")
        }
        try moveInto(folder, built, ["train", "val"])
    }

    /// EuroSAT RGB: `2750/{class}/*.jpg` split 80/10/10 (21,600 / 2,700 / 2,700 of 27,000) after a
    /// seeded permutation of the sorted paths, as `torch.randperm(n, generator=torch.Generator().manual_seed(0))` gives it.
    func prepareEuroSAT(_ archive: URL, into folder: URL, staging: URL) throws {
        let fm = FileManager.default
        let temp = staging.appendingPathComponent("extract-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: temp) }
        let size = ((try? fm.attributesOfItem(atPath: archive.path))?[.size] as? NSNumber)?.int64Value ?? 0
        var images: [String] = []
        do {
            _ = try ZipExtractor.extract(archive, into: temp.appendingPathComponent("all"), limit: max(1 << 30, size * 64)) { path in
                let parts = path.split(separator: "/")
                guard parts.count == 3, parts[0] == "2750" else { return nil }
                images.append("\(parts[1])/\(parts[2])")
                return images.last
            }
        } catch let r as TarExtractor.Refusal {
            throw Failure(description: "EuroSAT: \(r.description); nothing was extracted")
        }
        let classes = Set(images.map { String($0.split(separator: "/")[0]) }).sorted()
        let expected = ["AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
                        "PermanentCrop", "Residential", "River", "SeaLake"]
        guard classes == expected else {
            throw Failure(description: "EuroSAT: \(archive.lastPathComponent) holds the class folders \(classes.isEmpty ? "(none under 2750/)" : classes.joined(separator: ", ")) under 2750/, not EuroSAT RGB's ten; nothing was placed")
        }
        // Python's sorted() on str: code point order, which for these names is byte order.
        images.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var generator = TorchGenerator(seed: 0)
        let order = generator.randperm(images.count)
        let tenth = images.count / 10
        let built = temp.appendingPathComponent("built")
        for (rank, index) in order.enumerated() {
            let split = rank < images.count - 2 * tenth ? "train" : rank < images.count - tenth ? "val" : "test"
            let to = built.appendingPathComponent("\(split)/\(images[index])")
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.moveItem(at: temp.appendingPathComponent("all/\(images[index])"), to: to)
        }
        try moveInto(folder, built, ["train", "val", "test"])
    }

    /// A `.gz` inflated next to `target`, then renamed onto it.
    func gunzip(_ archive: URL, to target: URL, task: String) throws {
        try Self.writeWhole(target, task: task) { append in
            do {
                try GzipStream.inflate(archive) { try append($0); return true }
            } catch let g as GzipStream.Failure {
                throw Failure(description: "\(task): \(archive.lastPathComponent) cannot be read: \(g.reason); nothing was placed")
            }
        }
    }

    /// Writes `target` whole or not at all (Checkpoints' ``Checkpoints/AtomicFile``: a temporary
    /// sibling removed on failure or a signal, fsynced, renamed), `body` appending its bytes in order.
    static func writeWhole(_ target: URL, task: String, _ body: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try Checkpoints.AtomicFile(url: target)
        var offset = 0
        do {
            try body { bytes in
                try file.write(bytes, at: offset)
                offset += bytes.count
            }
            try file.commit()
        } catch {
            file.abandon()
            throw error
        }
    }

    /// Moves `built`'s `entries` into `folder`, replacing what was there.
    func moveInto(_ folder: URL, _ built: URL, _ entries: [String]) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for entry in entries {
            let from = built.appendingPathComponent(entry), to = folder.appendingPathComponent(entry)
            if !fm.fileExists(atPath: from.path) { try fm.createDirectory(at: from, withIntermediateDirectories: true) }
            try? fm.removeItem(at: to)
            try fm.moveItem(at: from, to: to)
        }
    }

    /// Whether the folders a staged file serves are already in place (then it is not fetched).
    func stagedTargetExists(_ source: DatasetSource, _ dataLocation: URL) -> Bool {
        source.files.contains { file in
            if case .sun397Folders = file.action {
                return ["train", "val"].allSatisfy { FileManager.default.fileExists(atPath: dataLocation.appendingPathComponent("sun397/\($0)").path) }
            }
            return false
        }
    }
}

/// A count a non-escaping closure stored in a value can update.
private final class Counter: @unchecked Sendable {
    var value = 0
}
