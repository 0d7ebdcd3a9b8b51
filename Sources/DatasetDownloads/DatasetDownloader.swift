import Foundation
import Hub

/// `lines datasets download`: fetches tasks from their own hosts into `data_location`, in the
/// layout `lines datasets` reads, each file checked against torchvision's MD5 before use, each
/// archive extracted into a temporary folder first and moved into place only when whole.
public struct DatasetDownloader: Sendable {
    /// The tasks' sources (``DatasetSource/builtIn``, or a table of one's own).
    public var sources: [DatasetSource]
    /// A base URL that replaces each file's host: `{mirror}/{task}/{file name}` (MNIST, FashionMNIST
    /// and KMNIST share file names, so each task has its folder).
    public var mirror: String?
    /// The fetcher (retries, resume).
    public var fetcher = FileFetcher()

    public init(sources: [DatasetSource] = DatasetSource.builtIn, mirror: String? = nil) {
        self.sources = sources
        self.mirror = mirror
    }

    /// What became of one task.
    public enum Outcome: Sendable, Equatable {
        /// Fetched (files fetched, files already there).
        case fetched(Int, Int)
        /// Not fetched: the manual step.
        case manual(String)
    }

    /// Why a task failed: one sentence.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Downloads `task` into `dataLocation`.
    /// - Throws: ``Failure`` (naming the task and file) or ``Hub/HubError``.
    public func download(_ task: String, into dataLocation: URL, progress: HubDownloader.Progress? = nil) throws -> Outcome {
        guard let source = sources.first(where: { $0.task.lowercased() == task.lowercased() }) else {
            return .manual(DatasetSource.manualSteps[task] ?? "no source is known for \(task)")
        }
        let fm = FileManager.default
        let staging = dataLocation.appendingPathComponent(".lines-download")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        // Only when empty: another download into the same folder may be using it.
        defer { rmdir(staging.path) }
        var fetched = 0, present = 0
        for file in source.files {
            let url = mirror.map { URL(string: ($0.hasSuffix("/") ? $0 : $0 + "/") + "\(source.task)/\(file.name)") } ?? URL(string: file.url)
            guard let url else { throw Failure(description: "\(source.task): '\(file.url)' is not a URL") }
            // An archive: fetched into the staging folder, unpacked by `body`, removed whatever happens.
            func unpack(_ body: (URL) throws -> Void) throws {
                let archive = staging.appendingPathComponent(file.name)
                _ = try fetcher.fetch(url, to: archive, checksum: .md5(file.md5), label: source.task, progress: progress)
                defer { try? fm.removeItem(at: archive) }
                try body(archive)
                fetched += 1
            }
            func exists(_ folder: URL, _ entries: [String]) -> Bool {
                entries.allSatisfy { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }
            }
            switch file.action {
            case let .place(folder):
                let target = dataLocation.appendingPathComponent(folder).appendingPathComponent(file.name)
                if try fetcher.fetch(url, to: target, checksum: .md5(file.md5), label: source.task, progress: progress) { fetched += 1 } else { present += 1 }
            case let .extractTarGz(folder, provides):
                let into = dataLocation.appendingPathComponent(folder)
                if exists(into, provides) { present += 1; continue }
                try unpack { try extract($0, zip: false, into: into, provides: provides, task: source.task, staging: staging) }
            case let .extractZip(folder, provides):
                let into = dataLocation.appendingPathComponent(folder)
                if exists(into, provides) { present += 1; continue }
                try unpack { try extract($0, zip: true, into: into, provides: provides, task: source.task, staging: staging) }
            case .dtdFolders:
                let into = dataLocation.appendingPathComponent("dtd")
                if exists(into, ["train", "val"]) { present += 1; continue }
                try unpack { try prepareDTD($0, into: into, staging: staging) }
            case let .unzipMembers(prefix, folder):
                let into = dataLocation.appendingPathComponent(folder)
                let stem = String(prefix.split(separator: "/").last ?? "")
                if ((try? fm.contentsOfDirectory(atPath: into.path)) ?? []).contains(where: { $0.hasPrefix(stem) }) { present += 1; continue }
                try unpack { try extractMembers($0, prefix: prefix, into: into, task: source.task, staging: staging) }
            }
        }
        return .fetched(fetched, present)
    }

    /// Extracts a `.tar.gz` (or a `.zip`) into a fresh folder beside the target, checks it holds `provides`,
    /// then moves those entries into place (nothing half-extracted is ever in place).
    func extract(_ archive: URL, zip: Bool, into folder: URL, provides: [String], task: String, staging: URL) throws {
        let fm = FileManager.default
        let temp = staging.appendingPathComponent("extract-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: temp) }
        let size = ((try? fm.attributesOfItem(atPath: archive.path))?[.size] as? NSNumber)?.int64Value ?? 0
        let limit = max(1 << 30, size * 64)
        do {
            if zip {
                _ = try ZipExtractor.extract(archive, into: temp, limit: limit)
            } else {
                var tar = TarExtractor(destination: temp, archive: archive.lastPathComponent, limit: limit)
                // Bytes after the archive's end blocks (padding, a second member) are not read.
                try GzipStream.inflate(archive) { try tar.consume($0); return !tar.isFinished }
                try tar.finish()
            }
        } catch let r as TarExtractor.Refusal {
            throw Failure(description: "\(task): \(r.description); nothing was extracted")
        } catch let g as GzipStream.Failure {
            throw Failure(description: "\(task): \(archive.lastPathComponent) cannot be read: \(g.reason); nothing was extracted")
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for entry in provides {
            let from = temp.appendingPathComponent(entry), to = folder.appendingPathComponent(entry)
            guard fm.fileExists(atPath: from.path) else {
                throw Failure(description: "\(task): \(archive.lastPathComponent) does not hold \(entry)/ as the reference's loader expects; nothing was placed")
            }
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? fm.removeItem(at: to)
            try fm.moveItem(at: from, to: to)
        }
    }

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

    /// The members of a zip under `prefix`, extracted to a temporary folder, then moved by name into `folder`.
    func extractMembers(_ archive: URL, prefix: String, into folder: URL, task: String, staging: URL) throws {
        let fm = FileManager.default
        let temp = staging.appendingPathComponent("extract-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: temp) }
        let size = ((try? fm.attributesOfItem(atPath: archive.path))?[.size] as? NSNumber)?.int64Value ?? 0
        let count: Int
        do {
            count = try ZipExtractor.extract(archive, into: temp, limit: max(1 << 30, size * 64)) { path in
                path.hasPrefix(prefix) ? String(path.split(separator: "/").last ?? "") : nil
            }
        } catch let r as TarExtractor.Refusal {
            throw Failure(description: "\(task): \(r.description); nothing was extracted")
        }
        guard count > 0 else {
            throw Failure(description: "\(task): \(archive.lastPathComponent) holds no member under \(prefix) as the reference's loader expects; nothing was placed")
        }
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: temp.path) {
            let to = folder.appendingPathComponent(name)
            try? fm.removeItem(at: to)
            try fm.moveItem(at: temp.appendingPathComponent(name), to: to)
        }
    }
}
