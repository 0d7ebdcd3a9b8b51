import Crypto
import Foundation
import Hub
import TestSupport

/// `Tests/Fixtures/hub/fake_hub.py` (the Hub's endpoints over real HTTP on 127.0.0.1, LFS content
/// from a second loopback host as the Hub's CDN), serving a copy of the fixture repositories; it
/// stops when this object goes (its standard input closes).
final class FakeHub: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let root: URL
    let repos: URL
    let log: URL
    let port: Int

    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/hub")

    /// Starts a server; `faults` are fake_hub.py's options (`--drop PATH`, `--fail5xx N:PATH`, …).
    init(faults: [String] = [], pageSize: Int? = nil, extraRepos: (URL) throws -> Void = { _ in }) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("lines-hub-\(UUID().uuidString)")
        repos = root.appendingPathComponent("repos")
        log = root.appendingPathComponent("requests.log")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("repos"), to: repos)
        try extraRepos(repos)
        port = try launchServer(process, input: input, ["python3", Self.fixtures.appendingPathComponent("fake_hub.py").path, "--root", repos.path,
                                                         "--log", log.path] + (pageSize.map { ["--page-size", String($0)] } ?? []) + faults)
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: root)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Settings for this server and a fresh cache under the server's folder (or `cache`).
    func settings(cache: URL? = nil, token: String? = nil, offline: Bool = false) -> HubSettings {
        HubSettings(endpoint: endpoint, cache: cache ?? root.appendingPathComponent("cache"), token: token, offline: offline)
    }

    /// A downloader for these settings that retries quickly.
    func downloader(_ settings: HubSettings) -> HubDownloader {
        let d = HubDownloader(settings: settings)
        d.retryDelay = 0.05
        return d
    }

    /// The requests served so far (`METHOD PATH range=… auth=yes|no`).
    var requests: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Content downloads (GETs of files and of CDN blobs), the requests that move bytes.
    var contentRequests: [String] {
        requests.filter { $0.hasPrefix("GET ") && ($0.contains("/resolve/") || $0.contains("/cdn/")) }
    }
}

/// Starts `arguments` (a Python server) with `input` as its standard input, and reads the port
/// from its first line (`PORT N`).
func launchServer(_ process: Process, input: Pipe, _ arguments: [String]) throws -> Int {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let out = Pipe()
    process.standardInput = input
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
    guard let text = String(data: line, encoding: .utf8), text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(arguments.prefix(2)) did not start: '\(String(decoding: line, as: UTF8.self))'"])
    }
    return port
}

/// Every path under `root`: kind, link target, size and SHA-256, as Scripts/fixtures/hub_fixtures.py records them.
func cacheLayout(_ root: URL) throws -> [[String: String]] {
    var out: [[String: String]] = []
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: root.path) else { return [] }
    while let rel = e.nextObject() as? String {
        let full = root.appendingPathComponent(rel)
        if let target = try? fm.destinationOfSymbolicLink(atPath: full.path) {
            out.append(["path": rel, "kind": "symlink", "target": target])
            continue
        }
        var dir: ObjCBool = false
        _ = fm.fileExists(atPath: full.path, isDirectory: &dir)
        if dir.boolValue {
            out.append(["path": rel, "kind": "dir"])
        } else {
            let data = try Data(contentsOf: full)
            out.append(["path": rel, "kind": "file", "size": String(data.count), "sha256": SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()])
        }
    }
    return out.sorted { $0["path"]! < $1["path"]! }
}
