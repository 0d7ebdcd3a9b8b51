import Crypto
import Foundation

/// Downloads one file from any HTTP(S) URL (a dataset's own host) with the Hub client's
/// machinery: retries with backoff, a `.part` resumed with `Range` after a dropped connection, a
/// checksum (MD5, as torchvision lists them, or SHA-256) verified before the file is renamed into
/// place. A file already there with the right checksum is not fetched again.
public struct FileFetcher: Sendable {
    /// The checksum a file must have.
    public enum Checksum: Sendable, Equatable, CustomStringConvertible {
        case md5(String)
        case sha256(String)

        public var description: String {
            switch self {
            case let .md5(h): return "md5 \(h)"
            case let .sha256(h): return "sha256 \(h)"
            }
        }
    }

    /// Attempts per request and the first retry's delay (doubled each time).
    public var attempts = 5
    public var retryDelay: Double = 0.5

    public init() {}

    /// Fetches `url` to `destination` (its `.part` sibling first).
    /// - Returns: whether bytes were fetched (false: the file was already there and checked).
    /// - Throws: ``HubError`` in one sentence (HTTP, network, checksum, an HTML page, a write error).
    @discardableResult
    public func fetch(_ url: URL, to destination: URL, checksum: Checksum?, label: String,
                      progress: HubDownloader.Progress? = nil) throws -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path), let checksum, (try? Self.digest(of: destination, checksum)) == Self.expected(checksum) {
            return false
        }
        try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let part = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).part")
        if !fm.fileExists(atPath: part.path) { _ = fm.createFile(atPath: part.path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: part.path) else {
            throw HubError.write(path: part.path, reason: "cannot open it for writing")
        }
        defer { try? handle.close() }
        let http = HubHTTP(settings: HubSettings(endpoint: "", cache: destination.deletingLastPathComponent()))
        http.attempts = attempts
        http.retryDelay = retryDelay
        let state = PartState(written: Int64(handle.seekToEndOfFile()))
        do {
            var answer = try receive(http, url, handle: handle, state: state, destination: destination, part: part, label: label, progress: progress)
            if answer.status == 416 && state.written > 0 {
                // The part is as long as the file, or longer: start it again.
                try handle.truncate(atOffset: 0)
                state.written = 0
                answer = try receive(http, url, handle: handle, state: state, destination: destination, part: part, label: label, progress: progress)
            }
            if answer.status != 200 && answer.status != 206 {
                try? fm.removeItem(at: part)
                throw HubError.http(status: answer.status, url: url.absoluteString, attempts: 1, message: HubHTTP.message(answer))
            }
        } catch let e as HubError {
            switch e {
            case .network: break   // the part stays, to resume
            default: try? fm.removeItem(at: part)
            }
            throw e
        }
        try handle.synchronize()
        if let checksum {
            let found = try Self.digest(of: part, checksum)
            guard found == Self.expected(checksum) else {
                try? fm.removeItem(at: part)
                if state.looksLikeHTML { throw HubError.htmlInsteadOfFile(repo: label, path: destination.lastPathComponent) }
                throw HubError.checksum(repo: label, path: destination.lastPathComponent, expected: checksum.description,
                                        found: checksum.description.split(separator: " ")[0] + " " + found)
            }
        }
        guard rename(part.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? fm.removeItem(at: part)
            throw HubError.write(path: destination.path, reason: reason)
        }
        return true
    }

    /// One transfer into the part from its current end.
    private func receive(_ http: HubHTTP, _ url: URL, handle: FileHandle, state: PartState, destination: URL, part: URL, label: String,
                         progress: HubDownloader.Progress?) throws -> HubHTTP.Answer {
        try http.download(url, from: state.written, sink: { data in
                // Blamed only if the bytes then fail their check (a real file may start so).
                if state.written == 0, state.first, let head = String(data: data.prefix(64), encoding: .utf8)?.lowercased()
                    .trimmingCharacters(in: .whitespacesAndNewlines), head.hasPrefix("<!doctype html") || head.hasPrefix("<html") {
                    state.looksLikeHTML = true
                }
                state.first = false
                do { try handle.write(contentsOf: data) } catch {
                    throw HubError.write(path: part.path, reason: (error as NSError).localizedFailureReason ?? error.localizedDescription)
                }
                state.written += Int64(data.count)
                progress?(state.written, max(state.expected, state.written))
            }, restart: {
                try handle.truncate(atOffset: 0)
                state.written = 0
            }, position: { state.written }, length: { state.expected = $0 })
    }

    /// Whether `file` exists with the checksum (then ``fetch(_:to:checksum:label:progress:)`` fetches nothing).
    public static func isInPlace(_ file: URL, checksum: Checksum) -> Bool {
        FileManager.default.fileExists(atPath: file.path) && (try? digest(of: file, checksum)) == expected(checksum)
    }

    static func expected(_ c: Checksum) -> String {
        switch c {
        case let .md5(h), let .sha256(h): return h.lowercased()
        }
    }

    /// The file's digest, read in 4 MB chunks.
    static func digest(of file: URL, _ kind: Checksum) throws -> String {
        guard let h = FileHandle(forReadingAtPath: file.path) else { throw HubError.write(path: file.path, reason: "cannot read it") }
        defer { try? h.close() }
        var md5 = Insecure.MD5(), sha = SHA256()
        let isMD5: Bool
        if case .md5 = kind { isMD5 = true } else { isMD5 = false }
        while let chunk = try h.read(upToCount: 1 << 22), !chunk.isEmpty {
            if isMD5 { md5.update(data: chunk) } else { sha.update(data: chunk) }
        }
        let bytes: [UInt8] = isMD5 ? Array(md5.finalize()) : Array(sha.finalize())
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// A part's running state (one URLSession delegate queue at a time).
private final class PartState: @unchecked Sendable {
    var written: Int64
    var expected: Int64 = 0
    var first = true
    var looksLikeHTML = false
    init(written: Int64) { self.written = written }
}
