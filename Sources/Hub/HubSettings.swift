import Foundation

/// Where the Hub is and where its files are cached, read from the variables `huggingface_hub`
/// reads, so that both share one cache: `HF_ENDPOINT`, `HF_HOME`, `HF_HUB_CACHE`, `HF_TOKEN` (else
/// `HF_TOKEN_PATH`, else `$HF_HOME/token`, the file `huggingface-cli login` writes), `HF_HUB_OFFLINE`.
public struct HubSettings: Sendable {
    /// The Hub's base URL (default `https://huggingface.co`).
    public var endpoint: String
    /// The cache folder (`HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`).
    public var cache: URL
    /// The token sent as `Authorization: Bearer …`, if any.
    public var token: String?
    /// Whether only the cache may be used.
    public var offline: Bool

    public init(endpoint: String, cache: URL, token: String? = nil, offline: Bool = false) {
        self.endpoint = endpoint
        self.cache = cache
        self.token = token
        self.offline = offline
    }

    /// The settings `environment` gives (default: this process's).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ key: String) -> String? {
            guard let v = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        func expand(_ p: String) -> String { (p as NSString).expandingTildeInPath }
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        let home = value("HF_HOME").map(expand)
            ?? ((value("XDG_CACHE_HOME").map(expand) ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")) as NSString).appendingPathComponent("huggingface")
        cache = URL(fileURLWithPath: value("HF_HUB_CACHE").map(expand) ?? (home as NSString).appendingPathComponent("hub"))
        if let t = value("HF_TOKEN") {
            token = t
        } else {
            let file = value("HF_TOKEN_PATH").map(expand) ?? (home as NSString).appendingPathComponent("token")
            token = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        }
        offline = ["1", "ON", "YES", "TRUE"].contains((value("HF_HUB_OFFLINE") ?? value("TRANSFORMERS_OFFLINE") ?? "").uppercased())
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
