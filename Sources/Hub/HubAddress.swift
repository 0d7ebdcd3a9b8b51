import Foundation

/// An `hf://` address of a file or folder on the Hub, as `huggingface_hub`'s `HfFileSystem`
/// writes them: `hf://OWNER/NAME[@REVISION][/PATH]`, `hf://datasets/OWNER/NAME/…` for datasets.
public struct HubAddress: Sendable, Equatable {
    public var repository: HubRepository
    public var revision: String
    /// The path inside the repository (empty: the whole repository).
    public var path: String

    /// Whether `text` is meant as an `hf://` address.
    public static func isAddress(_ text: String) -> Bool { text.hasPrefix("hf://") }

    /// Parses `text`.
    /// - Throws: ``HubError/badAddress(_:)``, ``HubError/badRepository(_:)``.
    public init(_ text: String) throws {
        guard Self.isAddress(text) else { throw HubError.badAddress(text) }
        var parts = text.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var kind = HubRepository.Kind.model
        if let first = parts.first, ["datasets", "spaces"].contains(first) {
            kind = first == "datasets" ? .dataset : .space
            parts.removeFirst()
        }
        guard parts.count >= 2, !parts[0].isEmpty else { throw HubError.badAddress(text) }
        var name = parts[1]
        var revision = "main"
        if let at = name.firstIndex(of: "@") {
            revision = String(name[name.index(after: at)...]).removingPercentEncoding ?? ""
            name = String(name[..<at])
            guard !revision.isEmpty else { throw HubError.badAddress(text) }
        }
        repository = try HubRepository("\(parts[0])/\(name)", kind: kind)
        self.revision = revision
        path = parts.dropFirst(2).filter { !$0.isEmpty }.joined(separator: "/")
        guard path.isEmpty || HubDownloader.safe(path) else { throw HubError.badAddress(text) }
    }
}

extension HubDownloader {
    /// The local path of `address`, downloading what the cache lacks: one file, or every file
    /// under a folder (and matching `include`, e.g. `*ViT-B-32*`).
    /// - Returns: the path in the snapshot folder.
    public func localPath(_ address: HubAddress, include: [Glob] = [], progress: Progress? = nil) throws -> URL {
        var request = Request(repository: address.repository, revision: address.revision)
        if !address.path.isEmpty {
            // A file, or a folder: both patterns, one of them matches.
            request.include = [Glob(address.path), Glob(address.path + "/")]
        }
        if !include.isEmpty {
            let prefix = address.path.isEmpty ? "" : address.path + "/"
            request.include = include.map { Glob(prefix + $0.pattern) }
        }
        let result: Result
        do { result = try download(request, progress: progress) } catch HubError.nothingMatches where include.isEmpty {
            throw HubError.fileNotFound(repo: address.repository.description, revision: address.revision, path: address.path)
        }
        return address.path.isEmpty ? result.folder : result.folder.appendingPathComponent(address.path)
    }
}
