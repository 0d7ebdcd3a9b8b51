import Foundation

/// Downloads repositories and files from the Hub into the cache `huggingface_hub` uses, as its
/// `snapshot_download` does: the revision resolved to a commit, the commit's listing (cached in
/// `trees/`), the files selected by include/exclude globs, each file fetched once (a blob the
/// cache already holds is only linked), in parallel, resumed from its `.incomplete` part after a
/// dropped connection (`Range`), checked against the listing's hash before it is renamed into
/// place. With ``HubSettings/offline`` only the cache is read.
public final class HubDownloader: @unchecked Sendable {
    public let settings: HubSettings
    let http: HubHTTP
    /// Files downloaded at once.
    public var parallelism = 4
    /// Attempts per request, and the first retry's delay (doubled each time).
    public var attempts: Int { get { http.attempts } set { http.attempts = newValue } }
    public var retryDelay: Double { get { http.retryDelay } set { http.retryDelay = newValue } }

    public init(settings: HubSettings = HubSettings()) {
        self.settings = settings
        http = HubHTTP(settings: settings)
    }

    /// What a download asks for.
    public struct Request: Sendable {
        public var repository: HubRepository
        /// A branch, a tag or a commit hash.
        public var revision: String = "main"
        /// Globs a file must match one of (all files when empty).
        public var include: [Glob] = []
        /// Globs a file must match none of.
        public var exclude: [Glob] = []
        /// A folder to copy the files into as well (with huggingface_hub's `.cache/huggingface` metadata).
        public var localFolder: URL?

        public init(repository: HubRepository, revision: String = "main", include: [Glob] = [], exclude: [Glob] = [], localFolder: URL? = nil) {
            self.repository = repository
            self.revision = revision
            self.include = include
            self.exclude = exclude
            self.localFolder = localFolder
        }
    }

    /// What a download did.
    public struct Result: Sendable {
        /// The commit the revision named.
        public var commit: String
        /// The snapshot folder (`…/snapshots/{commit}`), or the local folder when one was given.
        public var folder: URL
        /// The selected files.
        public var files: [HubFile]
        /// How many were fetched (the others were in the cache), and their bytes.
        public var fetched: Int
        public var fetchedBytes: Int64
    }

    /// Progress: bytes done and in all, over the files being fetched.
    public typealias Progress = @Sendable (_ done: Int64, _ total: Int64) -> Void

    /// Downloads what `request` selects.
    /// - Throws: ``HubError`` in one sentence (repository, revision, glob, checksum, HTTP, offline).
    public func download(_ request: Request, progress: Progress? = nil) throws -> Result {
        let repo = request.repository
        let cache = HubCache(root: settings.cache, repository: repo)
        if settings.offline { return try fromCache(request, cache: cache) }
        let commit = try resolve(repo, revision: request.revision)
        let all = try listing(repo, commit: commit, cache: cache)
        let files = all.filter { f in
            (request.include.isEmpty || request.include.contains { $0.matches(f.path) }) && !request.exclude.contains { $0.matches(f.path) }
        }
        if files.isEmpty && !(request.include.isEmpty && request.exclude.isEmpty) {
            throw HubError.nothingMatches(repo: repo.description, revision: request.revision, patterns: Self.patterns(request),
                                          fileCount: all.count, examples: Array(all.prefix(3).map(\.path)))
        }
        cache.tagRoot()
        try cache.writeRef(request.revision, commit)
        let missing = files.filter { !cache.has(commit, $0.path) }
        let total = missing.reduce(Int64(0)) { $0 + $1.contentSize }
        let meter = Meter(total: total, progress: progress)
        let errors = ErrorSlot()
        let queue = WorkQueue(missing)
        let workers = max(1, min(parallelism, missing.count))
        let fetched = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while errors.first == nil, let file = queue.next() {
                do {
                    if try fetch(file, repo: repo, commit: commit, cache: cache, meter: meter) { fetched.add(file.contentSize) }
                } catch { errors.set(error) }
            }
        }
        if let error = errors.first { throw error }
        var folder = cache.snapshot(commit)
        if let local = request.localFolder {
            try copy(files, commit: commit, cache: cache, into: local)
            folder = local
        }
        return Result(commit: commit, folder: folder, files: files, fetched: fetched.count, fetchedBytes: fetched.bytes)
    }

    /// The commit `revision` names (`GET /api/{kind}s/{repo}/revision/{revision}`).
    func resolve(_ repo: HubRepository, revision: String) throws -> String {
        if HubCache.isCommitHash(revision) { return revision }
        // It names a file under refs/ (refs/pr/1 is a revision too): nothing that climbs out.
        guard Self.safe(revision) else { throw HubError.revisionNotFound(repo: repo.description, revision: revision) }
        let encoded = revision.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? revision
        let url = try apiURL("api/\(repo.apiPath)/revision/\(encoded)")
        let a = try http.fetch(url)
        try check(a, repo: repo, revision: revision, path: nil)
        guard let obj = try? JSONSerialization.jsonObject(with: a.body) as? [String: Any], let sha = obj["sha"] as? String,
              HubCache.isCommitHash(sha) else {
            throw HubError.notAHub(url: url.absoluteString)
        }
        return sha
    }

    /// The commit's files: from `trees/{commit}.json` when cached, else the tree API (paginated), then cached.
    func listing(_ repo: HubRepository, commit: String, cache: HubCache) throws -> [HubFile] {
        if let data = FileManager.default.contents(atPath: cache.tree(commit).path), let files = HubFile.readTreeCache(data) {
            return files
        }
        var files: [HubFile] = []
        var next: URL? = try apiURL("api/\(repo.apiPath)/tree/\(commit)?recursive=true&expand=false")
        var pages = 0
        while let url = next, pages < 10_000 {
            pages += 1
            let a = try http.fetch(url)
            try check(a, repo: repo, revision: commit, path: nil)
            guard let entries = try? JSONSerialization.jsonObject(with: a.body) as? [[String: Any]] else {
                throw HubError.notAHub(url: url.absoluteString)
            }
            for e in entries where e["type"] as? String == "file" {
                guard let path = e["path"] as? String, let size = (e["size"] as? NSNumber)?.int64Value, let oid = e["oid"] as? String,
                      Self.safe(path) else { throw HubError.notAHub(url: url.absoluteString) }
                let lfs = e["lfs"] as? [String: Any]
                files.append(HubFile(path: path, size: size, blobID: oid, lfsSHA256: lfs?["oid"] as? String,
                                     lfsSize: (lfs?["size"] as? NSNumber)?.int64Value))
            }
            next = Self.nextLink(a.header("Link"))
        }
        files.sort { $0.path < $1.path }
        try? HubCache.writeAtomically(HubFile.treeCache(files), to: cache.tree(commit))
        return files
    }

    /// One file into the cache: HEAD (metadata, the CDN location), then the content into
    /// `blobs/{etag}.incomplete` (resumed if a part is there), checked, renamed, linked.
    /// - Returns: whether it was downloaded (not only linked to a blob the cache had).
    func fetch(_ file: HubFile, repo: HubRepository, commit: String, cache: HubCache, meter: Meter) throws -> Bool {
        let etag = file.etag
        return try cache.withLock(etag) {
            let blob = cache.blob(etag)
            var downloaded = false
            if !FileManager.default.fileExists(atPath: blob.path) {
                downloaded = true
                let url = try fileURL(repo, commit: commit, path: file.path)
                let head = try http.fetch(url, method: "HEAD")
                try check(head, repo: repo, revision: commit, path: file.path)
                guard head.header("X-Repo-Commit") != nil else { throw HubError.notAHub(url: url.absoluteString) }
                let location = head.header("Location").flatMap { URL(string: $0, relativeTo: url)?.absoluteURL } ?? url
                try receive(file, from: location, repo: repo, cache: cache, meter: meter)
            } else {
                meter.add(file.contentSize)
            }
            try cache.link(commit, file.path, etag: etag)
            return downloaded
        }
    }

    /// Streams a file into its `.incomplete` part and renames it into `blobs/` once its size and hash are right.
    func receive(_ file: HubFile, from url: URL, repo: HubRepository, cache: HubCache, meter: Meter) throws {
        let part = cache.incomplete(file.etag)
        let fm = FileManager.default
        try fm.createDirectory(at: part.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !fm.fileExists(atPath: part.path) { _ = fm.createFile(atPath: part.path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: part.path) else {
            throw HubError.write(path: part.path, reason: "cannot open it for writing")
        }
        defer { try? handle.close() }
        var hasher = ContentCheck(file: file)
        // A part left by an earlier, interrupted download: its bytes count and are hashed first.
        var written = Int64(handle.seekToEndOfFile())
        if written > file.contentSize {
            try handle.truncate(atOffset: 0)
            written = 0
        } else if written > 0 {
            try handle.seek(toOffset: 0)
            var left = written
            while left > 0, let chunk = try handle.read(upToCount: Int(min(left, 1 << 22))), !chunk.isEmpty {
                hasher.update(chunk)
                left -= Int64(chunk.count)
            }
            try handle.seek(toOffset: UInt64(written))
        }
        meter.add(written)
        let state = Received(written: written, check: hasher)
        var answer = HubHTTP.Answer(status: 206, headers: [:], body: Data(), url: url)
        // A part already whole (a kill before the rename, or another tool's) needs only its check.
        if written < file.contentSize || file.contentSize == 0 { do {
            answer = try http.download(url, from: written, sink: { data in
                // An HTML page is only blamed if the bytes then fail their check (a real file may start so).
                if state.written == 0, state.first,
                   let head = String(data: data.prefix(64), encoding: .utf8)?.lowercased().trimmingCharacters(in: .whitespacesAndNewlines),
                   head.hasPrefix("<!doctype html") || head.hasPrefix("<html") {
                    state.looksLikeHTML = true
                }
                state.first = false
                do { try handle.write(contentsOf: data) } catch {
                    throw HubError.write(path: part.path, reason: (error as NSError).localizedFailureReason ?? error.localizedDescription)
                }
                state.check.update(data)
                state.written += Int64(data.count)
                meter.add(Int64(data.count))
                if state.written > file.contentSize {
                    if state.looksLikeHTML { throw HubError.htmlInsteadOfFile(repo: repo.description, path: file.path) }
                    throw HubError.checksum(repo: repo.description, path: file.path, expected: "\(file.contentSize) bytes", found: "more")
                }
            }, restart: {
                meter.add(-state.written)
                try handle.truncate(atOffset: 0)
                state.written = 0
                state.check = ContentCheck(file: file)
            }, position: { state.written })
        } catch let e as HubError {
            // A checksum, an HTML page or a write error: the part is worthless. A network failure keeps it to resume.
            switch e {
            case .network, .http: break
            default: try? fm.removeItem(at: part)
            }
            throw e
        } }
        if answer.status != 200 && answer.status != 206 {
            try? fm.removeItem(at: part)
            try check(answer, repo: repo, revision: "", path: file.path)
            throw HubError.http(status: answer.status, url: url.absoluteString, attempts: 1, message: HubHTTP.message(answer))
        }
        if let type = answer.header("Content-Type"), type.lowercased().hasPrefix("text/html") { state.looksLikeHTML = true }
        let digest = state.check.finish()
        guard state.written == file.contentSize, digest == state.check.expected else {
            try? fm.removeItem(at: part)
            if state.looksLikeHTML { throw HubError.htmlInsteadOfFile(repo: repo.description, path: file.path) }
            let found = state.written == file.contentSize ? "\(state.check.kind) \(digest)" : "\(state.written) bytes"
            let expected = state.written == file.contentSize ? "\(state.check.kind) \(state.check.expected)" : "\(file.contentSize) bytes"
            throw HubError.checksum(repo: repo.description, path: file.path, expected: expected, found: found)
        }
        try handle.synchronize()
        guard rename(part.path, cache.blob(file.etag).path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: part)
            throw HubError.write(path: cache.blob(file.etag).path, reason: reason)
        }
    }

    /// Everything from the cache alone (``HubSettings/offline``).
    func fromCache(_ request: Request, cache: HubCache) throws -> Result {
        let repo = request.repository
        guard let commit = cache.commit(for: request.revision),
              FileManager.default.fileExists(atPath: cache.snapshot(commit).path) else {
            throw HubError.offline(repo: repo.description, revision: request.revision, cache: settings.cache.path, missing: nil)
        }
        var files: [HubFile]
        if let data = FileManager.default.contents(atPath: cache.tree(commit).path), let listed = HubFile.readTreeCache(data) {
            files = listed
        } else {
            files = Self.walk(cache.snapshot(commit)).map { HubFile(path: $0, size: 0, blobID: "") }
        }
        files = files.filter { f in
            (request.include.isEmpty || request.include.contains { $0.matches(f.path) }) && !request.exclude.contains { $0.matches(f.path) }
        }
        if files.isEmpty && !(request.include.isEmpty && request.exclude.isEmpty) {
            throw HubError.offline(repo: repo.description, revision: request.revision, cache: settings.cache.path, missing: Self.patterns(request))
        }
        if let absent = files.first(where: { !cache.has(commit, $0.path) }) {
            throw HubError.offline(repo: repo.description, revision: request.revision, cache: settings.cache.path, missing: absent.path)
        }
        var folder = cache.snapshot(commit)
        if let local = request.localFolder {
            try copy(files, commit: commit, cache: cache, into: local)
            folder = local
        }
        return Result(commit: commit, folder: folder, files: files, fetched: 0, fetchedBytes: 0)
    }

    /// Copies the files into `folder` (atomically each) with huggingface_hub's
    /// `.cache/huggingface/download/{path}.metadata` (commit, etag, time).
    func copy(_ files: [HubFile], commit: String, cache: HubCache, into folder: URL) throws {
        let fm = FileManager.default
        for f in files {
            let target = folder.appendingPathComponent(f.path)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let tmp = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
            do {
                try fm.copyItem(at: cache.pointer(commit, f.path).resolvingSymlinksInPath(), to: tmp)
            } catch {
                try? fm.removeItem(at: tmp)
                throw HubError.write(path: target.path, reason: (error as NSError).localizedFailureReason ?? error.localizedDescription)
            }
            guard rename(tmp.path, target.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(at: tmp)
                throw HubError.write(path: target.path, reason: reason)
            }
            let etag = f.blobID.isEmpty ? ((try? fm.destinationOfSymbolicLink(atPath: cache.pointer(commit, f.path).path)).map { ($0 as NSString).lastPathComponent } ?? "") : f.etag
            let meta = folder.appendingPathComponent(".cache/huggingface/download/\(f.path).metadata")
            try HubCache.writeAtomically("\(commit)\n\(etag)\n\(Date().timeIntervalSince1970)\n", to: meta)
        }
    }

    // MARK: - Helpers

    func apiURL(_ path: String) throws -> URL {
        guard let url = URL(string: "\(settings.endpoint)/\(path)") else { throw HubError.notAHub(url: settings.endpoint) }
        return url
    }

    func fileURL(_ repo: HubRepository, commit: String, path: String) throws -> URL {
        let encoded = path.split(separator: "/").map { String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? String($0) }
        return try apiURL("\(repo.filePath)/resolve/\(commit)/\(encoded.joined(separator: "/"))")
    }

    /// Turns the Hub's error answers into sentences (2xx and 3xx pass).
    func check(_ a: HubHTTP.Answer, repo: HubRepository, revision: String, path: String?) throws {
        guard a.status >= 400 else { return }
        let code = a.header("X-Error-Code") ?? ""
        switch a.status {
        case 401: throw HubError.unauthorized(repo: repo.description, tokenSent: settings.token != nil)
        case 403 where code == "GatedRepo" || HubHTTP.message(a).lowercased().contains("gated") || HubHTTP.message(a).lowercased().contains("restricted"):
            throw HubError.gated(repo: repo.description)
        case 404 where code == "RevisionNotFound": throw HubError.revisionNotFound(repo: repo.description, revision: revision)
        case 404 where code == "EntryNotFound" && path != nil: throw HubError.fileNotFound(repo: repo.description, revision: revision, path: path ?? "")
        case 404 where code == "RepoNotFound" || path == nil: throw HubError.repositoryNotFound(repo: repo.description, endpoint: settings.endpoint)
        default: throw HubError.http(status: a.status, url: a.url.absoluteString, attempts: 1, message: HubHTTP.message(a))
        }
    }

    /// `<URL>; rel="next"` of a `Link` header.
    static func nextLink(_ header: String?) -> URL? {
        guard let header else { return nil }
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") {
            if let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close {
                return URL(string: String(part[part.index(after: open)..<close]))
            }
        }
        return nil
    }

    /// A repository path that stays inside its folder (no `..`, no absolute path, no empty part).
    static func safe(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !path.isEmpty && !path.hasPrefix("/") && !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." } && !path.contains("\0")
    }

    static func patterns(_ r: Request) -> String {
        var parts: [String] = []
        if !r.include.isEmpty { parts.append("--include " + r.include.map(\.pattern).joined(separator: " ")) }
        if !r.exclude.isEmpty { parts.append("--exclude " + r.exclude.map(\.pattern).joined(separator: " ")) }
        return parts.joined(separator: " and ")
    }

    static func walk(_ folder: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }
}

/// One download's running state (touched by one URLSession delegate queue at a time).
final class Received: @unchecked Sendable {
    var written: Int64
    var check: ContentCheck
    var first = true
    var looksLikeHTML = false
    init(written: Int64, check: ContentCheck) {
        self.written = written
        self.check = check
    }
}

/// Bytes done over all files, reported to the progress callback.
final class Meter: @unchecked Sendable {
    let total: Int64
    let progress: HubDownloader.Progress?
    private var done: Int64 = 0
    private let lock = NSLock()
    init(total: Int64, progress: HubDownloader.Progress?) {
        self.total = total
        self.progress = progress
    }
    func add(_ n: Int64) {
        lock.lock(); done += n; let d = done; lock.unlock()
        progress?(d, total)
    }
}

/// Files fetched and their bytes.
final class Counter: @unchecked Sendable {
    private(set) var count = 0
    private(set) var bytes: Int64 = 0
    private let lock = NSLock()
    func add(_ n: Int64) { lock.lock(); count += 1; bytes += n; lock.unlock() }
}

/// The first error of the workers.
final class ErrorSlot: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()
    var first: Error? { lock.lock(); defer { lock.unlock() }; return error }
    func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}

/// Files handed to the workers one at a time.
final class WorkQueue: @unchecked Sendable {
    private var items: [HubFile]
    private let lock = NSLock()
    init(_ items: [HubFile]) { self.items = items.reversed() }
    func next() -> HubFile? { lock.lock(); defer { lock.unlock() }; return items.popLast() }
}
