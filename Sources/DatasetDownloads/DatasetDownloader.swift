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
    /// Where tasks read from the Hub come from and are cached (`HF_ENDPOINT`, `HF_HOME`, … by default).
    public var hubSettings = HubSettings()

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
        if let hub = source.hub { return try downloadParquet(hub, task: source.task, into: dataLocation, progress: progress) }
        let staging = dataLocation.appendingPathComponent(".lines-download")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        // Only when empty: another download into the same folder may be using it.
        defer { rmdir(staging.path) }
        var fetched = 0, present = 0
        var staged: [String: URL] = [:]
        defer { for file in staged.values { try? fm.removeItem(at: file) } }
        for file in source.files {
            let direct = mirror.map { URL(string: ($0.hasSuffix("/") ? $0 : $0 + "/") + "\(source.task)/\(file.name)") } ?? URL(string: file.url)
            guard let direct else { throw Failure(description: "\(source.task): '\(file.url)' is not a URL") }
            // Fetched to `target` (Google Drive's page followed first, unless a mirror serves the file).
            func fetch(to target: URL) throws -> Bool {
                if FileFetcher.isInPlace(target, checksum: file.checksum) { return false }
                let url: URL
                do {
                    url = file.host == .googleDrive && mirror == nil ? try GoogleDrive.fileURL(for: direct, label: source.task) : direct
                } catch let g as GoogleDrive.Failure { throw Failure(description: g.description) }
                return try fetcher.fetch(url, to: target, checksum: file.checksum, label: source.task, progress: progress)
            }
            // An archive: fetched into the staging folder, unpacked by `body`, removed whatever happens.
            func unpack(_ body: (URL) throws -> Void) throws {
                let archive = staging.appendingPathComponent(file.name)
                _ = try fetch(to: archive)
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
                if try fetch(to: target) { fetched += 1 } else { present += 1 }
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
            case let .gunzip(folder):
                let target = dataLocation.appendingPathComponent(folder).appendingPathComponent(String(file.name.dropLast(file.name.hasSuffix(".gz") ? 3 : 0)))
                if fm.fileExists(atPath: target.path) { present += 1; continue }
                try unpack { try gunzip($0, to: target, task: source.task) }
            case .stage:
                if stagedTargetExists(source, dataLocation) { present += 1; continue }
                let kept = staging.appendingPathComponent(file.name)
                staged[file.name] = kept
                if try fetch(to: kept) { fetched += 1 } else { present += 1 }
            case let .sun397Folders(partitions):
                let into = dataLocation.appendingPathComponent("sun397")
                if exists(into, ["train", "val"]) { present += 1; continue }
                guard let lists = staged[partitions] else {
                    throw Failure(description: "SUN397: \(partitions) was not fetched before \(file.name); the source table is out of order")
                }
                try unpack { try prepareSUN397($0, partitions: lists, into: into, staging: staging) }
            case .eurosatSplits:
                let into = dataLocation.appendingPathComponent("EuroSAT_splits")
                if exists(into, ["train", "val", "test"]) { present += 1; continue }
                try unpack { try prepareEuroSAT($0, into: into, staging: staging) }
            }
        }
        return .fetched(fetched, present)
    }

    /// FER2013: the repository's Parquet files through the Hub's cache (shared with Python's), then
    /// `fer2013/fer2013.csv` from them; the files under a `train` folder (or named so) are the training
    /// rows, those under `test` the test rows.
    func downloadParquet(_ hub: DatasetSource.HubParquet, task: String, into dataLocation: URL, progress: HubDownloader.Progress?) throws -> Outcome {
        let csv = dataLocation.appendingPathComponent("fer2013/fer2013.csv")
        if FileManager.default.fileExists(atPath: csv.path) { return .fetched(0, 1) }
        let downloader = HubDownloader(settings: hubSettings)
        downloader.retryDelay = fetcher.retryDelay
        let request = HubDownloader.Request(repository: try HubRepository(hub.repository, kind: .dataset), revision: hub.revision, include: [Glob("*.parquet")])
        let result = try downloader.download(request, progress: progress)
        func split(_ name: String) -> [URL] {
            result.files.map(\.path).filter { path in
                path.split(separator: "/").contains { $0 == name || $0.hasPrefix(name + "-") || $0.hasPrefix(name + ".") }
            }.sorted().map { result.folder.appendingPathComponent($0) }
        }
        let train = split("train"), test = split("test")
        guard !train.isEmpty, !test.isEmpty else {
            throw Failure(description: "\(task): \(hub.repository) at \(hub.revision) has no train and test Parquet files (it has \(result.files.map(\.path).joined(separator: ", ")))")
        }
        do {
            _ = try FER2013Parquet.writeCSV(train: train, test: test, to: csv)
        } catch let f as FER2013Parquet.Failure { throw Failure(description: f.description) }
        return .fetched(result.fetched, result.files.count - result.fetched)
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
