import Crypto
import Foundation

/// The hash a downloaded file must have: the LFS SHA-256, or for other files the git blob id
/// (SHA-1 of `blob SIZE\0` + content), both as the Hub's listing gives them.
struct ContentCheck {
    private var sha256: SHA256?
    private var sha1: Insecure.SHA1?
    let expected: String
    let kind: String

    init(file: HubFile) {
        if let lfs = file.lfsSHA256 {
            sha256 = SHA256()
            expected = lfs
            kind = "sha256"
        } else {
            var h = Insecure.SHA1()
            h.update(data: Data("blob \(file.size)\0".utf8))
            sha1 = h
            expected = file.blobID
            kind = "git blob id"
        }
    }

    mutating func update(_ data: Data) {
        if sha256 != nil { sha256!.update(data: data) } else { sha1!.update(data: data) }
    }

    /// The hex digest of everything seen.
    func finish() -> String {
        let digest: [UInt8] = sha256.map { Array($0.finalize()) } ?? sha1.map { Array($0.finalize()) } ?? []
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
