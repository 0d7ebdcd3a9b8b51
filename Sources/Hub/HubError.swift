/// Why a download or a cache lookup failed; every message is one sentence naming the repository,
/// the file or the setting at fault.
public enum HubError: Error, Equatable, CustomStringConvertible {
    /// Not `OWNER/NAME`.
    case badRepository(String)
    /// An `hf://` address that cannot be read.
    case badAddress(String)
    /// 401: private or absent, and no token or a rejected one.
    case unauthorized(repo: String, tokenSent: Bool)
    /// 403: a gated repository whose conditions the token's account has not accepted.
    case gated(repo: String)
    /// 404 on the repository.
    case repositoryNotFound(repo: String, endpoint: String)
    /// 404 on the revision.
    case revisionNotFound(repo: String, revision: String)
    /// 404 on a file.
    case fileNotFound(repo: String, revision: String, path: String)
    /// The include/exclude globs leave nothing.
    case nothingMatches(repo: String, revision: String, patterns: String, fileCount: Int, examples: [String])
    /// A downloaded file whose size or hash is not the one the Hub lists.
    case checksum(repo: String, path: String, expected: String, found: String)
    /// An HTML page where a file was expected.
    case htmlInsteadOfFile(repo: String, path: String)
    /// An answer without the Hub's headers: the endpoint is not a Hub.
    case notAHub(url: String)
    /// An HTTP status the client does not retry or after its retries.
    case http(status: Int, url: String, attempts: Int, message: String)
    /// The network failed (after retries).
    case network(url: String, reason: String)
    /// `HF_HUB_OFFLINE` and the cache lacks what was asked.
    case offline(repo: String, revision: String, cache: String, missing: String?)
    /// The cache or the local folder cannot be written.
    case write(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badRepository(id):
            return "'\(id)' is not a repository name: expected OWNER/NAME, as nik-dim/tall_masks (letters, digits, - _ .)."
        case let .badAddress(a):
            return "'\(a)' is not an hf:// address: expected hf://OWNER/NAME[@REVISION][/PATH] (hf://datasets/OWNER/NAME/… for a dataset)."
        case let .unauthorized(repo, sent):
            return sent
                ? "The Hub refused the token for \(repo) (401): it is not valid, or its account cannot see this repository."
                : "The Hub refused \(repo) (401): it is private or does not exist; if it is yours, set HF_TOKEN (or log in with huggingface-cli, whose token file Lines reads)."
        case let .gated(repo):
            return "\(repo) is gated (403): accept its conditions on its Hub page with your account, then set HF_TOKEN to that account's token."
        case let .repositoryNotFound(repo, endpoint):
            return "No repository \(repo) on \(endpoint) (404): check the name, and give --repo-type dataset for a dataset."
        case let .revisionNotFound(repo, revision):
            return "\(repo) has no revision '\(revision)' (404): give a branch, a tag or a commit hash that exists."
        case let .fileNotFound(repo, revision, path):
            return "\(repo) has no file '\(path)' at revision \(revision) (404)."
        case let .nothingMatches(repo, revision, patterns, count, examples):
            return "No file of \(repo) at \(revision) matches \(patterns) (it has \(count) file\(count == 1 ? "" : "s")\(examples.isEmpty ? "" : ", such as \(examples.joined(separator: ", "))"))."
        case let .checksum(repo, path, expected, found):
            return "'\(path)' of \(repo) failed its check (expected \(expected), got \(found)); the download was discarded."
        case let .htmlInsteadOfFile(repo, path):
            return "The server sent an HTML page instead of '\(path)' of \(repo) (a login, proxy or error page?); nothing was kept."
        case let .notAHub(url):
            return "\(url) did not answer as the Hugging Face Hub does (no X-Repo-Commit header): check HF_ENDPOINT."
        case let .http(status, url, attempts, message):
            return "The Hub answered \(status) for \(url)\(attempts > 1 ? " \(attempts) times" : "")\(message.isEmpty ? "" : ": \(message)")\(status >= 500 || status == 429 ? "; try again later" : "")."
        case let .network(url, reason):
            return "Cannot reach \(url): \(reason)."
        case let .offline(repo, revision, cache, missing):
            return "HF_HUB_OFFLINE is set and the cache (\(cache)) \(missing.map { "lacks '\($0)' of" } ?? "does not hold") \(repo) at \(revision)."
        case let .write(path, reason):
            return "Cannot write \(path): \(reason); no partial file was left."
        }
    }
}
