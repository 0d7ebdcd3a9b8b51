/// One file of a repository at a commit, as the Hub's tree listing gives it.
public struct HubFile: Sendable, Hashable {
    /// Its path in the repository (`tokenizer/vocab.txt`).
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// Its git blob id (SHA-1 of `blob SIZE\0` + content).
    public var blobID: String
    /// For LFS files, the SHA-256 of the content and its size.
    public var lfsSHA256: String?
    public var lfsSize: Int64?

    public init(path: String, size: Int64, blobID: String, lfsSHA256: String? = nil, lfsSize: Int64? = nil) {
        self.path = path
        self.size = size
        self.blobID = blobID
        self.lfsSHA256 = lfsSHA256
        self.lfsSize = lfsSize
    }

    /// The name of its blob in the cache: the LFS SHA-256, else the git blob id (the ETag the Hub sends).
    public var etag: String { lfsSHA256 ?? blobID }

    /// Its size as downloaded.
    public var contentSize: Int64 { lfsSize ?? size }
}

extension HubFile {
    /// ``treeCache(_:)``, for tests.
    public static func treeCacheText(_ files: [HubFile]) -> String { treeCache(files) }

    /// `trees/COMMIT.json` as `huggingface_hub` writes it (`json.dump(…, indent=1)`, paths sorted):
    /// the listing, cached forever since a commit never changes. (Python's string escapes, as
    /// Checkpoints' `JSONText.quote(asciiOnly:)` writes them; Hub keeps its own copy to depend on
    /// nothing but swift-crypto.)
    static func treeCache(_ files: [HubFile]) -> String {
        func quoted(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                default:
                    if u.value < 0x20 || u.value > 0x7E {
                        // Python's json.dump escapes every non-ASCII character (ensure_ascii).
                        if u.value > 0xFFFF {
                            let v = u.value - 0x10000
                            out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                        } else {
                            out += String(format: "\\u%04x", u.value)
                        }
                    } else {
                        out.unicodeScalars.append(u)
                    }
                }
            }
            return out + "\""
        }
        let sorted = files.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        var text = "{\n \"format_version\": 1,\n \"files\": {"
        for (i, f) in sorted.enumerated() {
            text += (i == 0 ? "\n" : ",\n") + "  \(quoted(f.path)): {\n   \"size\": \(f.size),\n   \"blob_id\": \(quoted(f.blobID))"
            if let sha = f.lfsSHA256 {
                text += ",\n   \"lfs_sha256\": \(quoted(sha)),\n   \"lfs_size\": \(f.lfsSize ?? f.size)"
            }
            text += "\n  }"
        }
        text += sorted.isEmpty ? "}\n}" : "\n }\n}"
        return text
    }

    /// Reads a `trees/COMMIT.json` (`nil` when it is not one).
    static func readTreeCache(_ data: Data) -> [HubFile]? {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              (obj["format_version"] as? NSNumber)?.intValue == 1, let files = obj["files"] as? [String: Any] else { return nil }
        var out: [HubFile] = []
        for (path, value) in files {
            guard let info = value as? [String: Any], let size = (info["size"] as? NSNumber)?.int64Value,
                  let blob = info["blob_id"] as? String, HubDownloader.safe(path) else { return nil }
            out.append(HubFile(path: path, size: size, blobID: blob, lfsSHA256: info["lfs_sha256"] as? String,
                               lfsSize: (info["lfs_size"] as? NSNumber)?.int64Value))
        }
        return out.sorted { $0.path < $1.path }
    }
}

import Foundation
