import Foundation

/// One repository's folder in the cache, in `huggingface_hub`'s layout, so that a file either
/// tool downloaded is found by the other:
///
///     {cache}/models--OWNER--NAME/blobs/{etag}             the content (etag: LFS SHA-256 or git blob id)
///     {cache}/models--OWNER--NAME/snapshots/{commit}/{path} a relative symlink to the blob
///     {cache}/models--OWNER--NAME/refs/{branch or tag}     the commit it pointed to
///     {cache}/models--OWNER--NAME/trees/{commit}.json      the commit's file listing
///     {cache}/.locks/models--OWNER--NAME/{etag}.lock       the lock both tools take (flock)
public struct HubCache: Sendable {
    public let root: URL
    public let repository: HubRepository

    public init(root: URL, repository: HubRepository) {
        self.root = root
        self.repository = repository
    }

    public var folder: URL { root.appendingPathComponent(repository.folderName) }
    public func blob(_ etag: String) -> URL { folder.appendingPathComponent("blobs/\(etag)") }
    public func incomplete(_ etag: String) -> URL { folder.appendingPathComponent("blobs/\(etag).incomplete") }
    public func snapshot(_ commit: String) -> URL { folder.appendingPathComponent("snapshots/\(commit)") }
    public func pointer(_ commit: String, _ path: String) -> URL { snapshot(commit).appendingPathComponent(path) }
    public func ref(_ revision: String) -> URL { folder.appendingPathComponent("refs/\(revision)") }
    public func tree(_ commit: String) -> URL { folder.appendingPathComponent("trees/\(commit).json") }
    public func lock(_ etag: String) -> URL { root.appendingPathComponent(".locks/\(repository.folderName)/\(etag).lock") }

    /// The commit a revision names: itself if it is a commit hash, else what `refs/` recorded.
    public func commit(for revision: String) -> String? {
        if Self.isCommitHash(revision) { return revision }
        guard let text = try? String(contentsOf: ref(revision), encoding: .utf8) else { return nil }
        let c = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isCommitHash(c) ? c : nil
    }

    static func isCommitHash(_ s: String) -> Bool {
        s.count == 40 && s.allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }

    /// Whether the snapshot has `path` and its blob is there.
    public func has(_ commit: String, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: pointer(commit, path).path)   // follows the link
    }

    /// Writes `text` at `url` through a temporary sibling and a rename.
    static func writeAtomically(_ text: String, to url: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp")
        guard fm.createFile(atPath: tmp.path, contents: Data(text.utf8)) else {
            throw HubError.write(path: url.path, reason: "the folder is not writable")
        }
        guard rename(tmp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: tmp)
            throw HubError.write(path: url.path, reason: reason)
        }
    }

    /// Records that `revision` is `commit` (not for a revision that is itself a commit hash).
    func writeRef(_ revision: String, _ commit: String) throws {
        guard revision != commit else { return }
        if (try? String(contentsOf: ref(revision), encoding: .utf8)) == commit { return }
        try Self.writeAtomically(commit, to: ref(revision))
    }

    /// Points `snapshots/{commit}/{path}` at the blob with a relative link, as huggingface_hub does.
    func link(_ commit: String, _ path: String, etag: String) throws {
        let pointer = self.pointer(commit, path)
        let fm = FileManager.default
        try fm.createDirectory(at: pointer.deletingLastPathComponent(), withIntermediateDirectories: true)
        let depth = path.split(separator: "/").count - 1
        let target = String(repeating: "../", count: 2 + depth) + "blobs/\(etag)"
        if let existing = try? fm.destinationOfSymbolicLink(atPath: pointer.path), existing == target { return }
        try? fm.removeItem(at: pointer)
        do { try fm.createSymbolicLink(atPath: pointer.path, withDestinationPath: target) } catch {
            throw HubError.write(path: pointer.path, reason: "\(error.localizedDescription)")
        }
    }

    /// `CACHEDIR.TAG` at the cache's root (backup tools skip the folder), as huggingface_hub writes it.
    func tagRoot() {
        let tag = root.appendingPathComponent("CACHEDIR.TAG")
        guard !FileManager.default.fileExists(atPath: tag.path) else { return }
        try? Self.writeAtomically("Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by huggingface_hub.\n# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n", to: tag)
    }

    /// Runs `body` holding the blob's lock file (`flock`, as Python's filelock takes it).
    func withLock<T>(_ etag: String, _ body: () throws -> T) throws -> T {
        let url = lock(etag)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError.write(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw HubError.write(path: url.path, reason: String(cString: strerror(errno))) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
