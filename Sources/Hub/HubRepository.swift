/// A repository on the Hugging Face Hub: `OWNER/NAME` and its kind.
public struct HubRepository: Sendable, Hashable, CustomStringConvertible {
    /// What the Hub holds in it: the kinds `huggingface_hub` names `repo_type`.
    public enum Kind: String, Sendable, CaseIterable {
        case model, dataset, space
    }

    public var owner: String
    public var name: String
    public var kind: Kind

    /// Parses `OWNER/NAME`.
    /// - Throws: ``HubError/badRepository(_:)`` for anything else.
    public init(_ id: String, kind: Kind = .model) throws {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func valid(_ s: String) -> Bool {
            !s.isEmpty && s.count <= 96 && s != "." && s != ".." && !s.hasPrefix("-")
                && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
        guard parts.count == 2, valid(parts[0]), valid(parts[1]) else { throw HubError.badRepository(id) }
        owner = parts[0]
        name = parts[1]
        self.kind = kind
    }

    /// `OWNER/NAME`.
    public var id: String { "\(owner)/\(name)" }
    public var description: String { kind == .model ? id : "\(id) (\(kind.rawValue))" }

    /// The cache folder's name, as `huggingface_hub.file_download.repo_folder_name`: `models--OWNER--NAME`.
    public var folderName: String { "\(kind.rawValue)s--\(owner)--\(name)" }

    /// The API path: `models/OWNER/NAME`.
    var apiPath: String { "\(kind.rawValue)s/\(owner)/\(name)" }

    /// The prefix of file URLs: `OWNER/NAME` for models, `datasets/OWNER/NAME` otherwise.
    var filePath: String { kind == .model ? id : "\(kind.rawValue)s/\(id)" }
}
