import Foundation
import Hub
import Testing

/// `lines download`'s engine against a real HTTP server that speaks the Hub's endpoints.
@Suite("downloads from the Hub into huggingface_hub's cache", .serialized)
struct HubDownloadTests {
    let tiny = try! HubRepository("lines-test/tiny-model")

    @Test("the cache is laid out file by file as huggingface_hub lays it out for the same server")
    func layoutMatchesHuggingFaceHub() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        let d = hub.downloader(settings)
        _ = try d.download(.init(repository: tiny))
        _ = try d.download(.init(repository: tiny, revision: "v1"))
        _ = try d.download(.init(repository: try HubRepository("lines-test/tiny-data", kind: .dataset), include: [Glob("data/*")]))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: FakeHub.fixtures.appendingPathComponent("expected_layout.json"))) as? [String: Any]
        let layout = (expected?["layout"] as? [[String: Any]] ?? []).map { e in e.mapValues { "\($0)" } }
        let ours = try cacheLayout(settings.cache)
        #expect(ours.count == layout.count)
        for (a, b) in zip(ours, layout) { #expect(a == b) }
        // Nothing is fetched twice: the same downloads again move no byte.
        let before = hub.contentRequests.count
        let again = try d.download(.init(repository: tiny))
        #expect(again.fetched == 0 && again.files.count == 5)
        #expect(hub.contentRequests.count == before)
    }

    @Test("huggingface_hub itself finds what Lines downloaded, and fetches nothing", .enabled(if: PythonHub.available, "huggingface_hub is not installed (pip install huggingface_hub)"))
    func pythonReusesTheCache() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        _ = try hub.downloader(settings).download(.init(repository: tiny))
        let before = hub.contentRequests.count
        let path = try PythonHub.snapshot("lines-test/tiny-model", endpoint: hub.endpoint, cache: settings.cache)
        #expect(path == settings.cache.appendingPathComponent("models--lines-test--tiny-model/snapshots/5c43447bdfe030229ef73e0e8b7c99e0be7c5431").path)
        #expect(hub.contentRequests.count == before, "\(hub.contentRequests.suffix(3))")
        // And the other way: what huggingface_hub downloaded first, Lines does not fetch again.
        let other = hub.root.appendingPathComponent("python-first")
        _ = try PythonHub.snapshot("lines-test/tiny-model", endpoint: hub.endpoint, cache: other)
        let afterPython = hub.contentRequests.count
        let r = try hub.downloader(hub.settings(cache: other)).download(.init(repository: tiny))
        #expect(r.fetched == 0 && r.files.count == 5)
        #expect(hub.contentRequests.count == afterPython)
        #expect(try cacheLayout(other) == cacheLayout(settings.cache))
    }

    @Test("a renamed repository: the Hub's relative 307s are followed, as huggingface_hub follows them")
    func renamedRepository() throws {
        let hub = try FakeHub { repos in
            let old = repos.appendingPathComponent("models/lines-test/old-name")
            try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
            try Data(#"{"refs": {}, "renamed_to": "lines-test/tiny-model"}"#.utf8).write(to: old.appendingPathComponent("repo.json"))
        }
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        let r = try hub.downloader(settings).download(.init(repository: try HubRepository("lines-test/old-name")))
        #expect(r.commit == "5c43447bdfe030229ef73e0e8b7c99e0be7c5431" && r.files.count == 5)
        #expect(r.folder == settings.cache.appendingPathComponent("models--lines-test--old-name/snapshots/5c43447bdfe030229ef73e0e8b7c99e0be7c5431"))
        #expect(hub.requests.contains { $0.hasPrefix("GET /api/models/lines-test/old-name/revision/main") })
        if PythonHub.available {
            let other = hub.root.appendingPathComponent("python")
            _ = try PythonHub.snapshot("lines-test/old-name", endpoint: hub.endpoint, cache: other)
            #expect(try cacheLayout(other) == cacheLayout(settings.cache))
        }
    }

    @Test("include and exclude globs select files; a glob that matches nothing is one sentence")
    func globs() throws {
        let hub = try FakeHub(pageSize: 2)   // the listing comes in pages of two (Link: rel="next")
        defer { withExtendedLifetime(hub) {} }
        let d = hub.downloader(hub.settings())
        let r = try d.download(.init(repository: tiny, include: [Glob("*.json"), Glob("tokenizer/")], exclude: [Glob("*vocab*")]))
        #expect(r.files.map(\.path) == ["config.json"])
        let all = try d.download(.init(repository: tiny, exclude: [Glob("*.bin")]))
        #expect(all.files.map(\.path) == ["README.md", "config.json", "model.safetensors", "tokenizer/vocab.txt"])
        do {
            _ = try d.download(.init(repository: tiny, include: [Glob("*.gguf")]))
            Issue.record("nothing matched, yet no error")
        } catch let e as HubError {
            #expect(e.description == "No file of lines-test/tiny-model at main matches --include *.gguf (it has 5 files, such as README.md, config.json, extra.bin).")
        }
    }

    @Test("an LFS file whose bytes do not hash to its SHA-256 is refused, and nothing of it stays")
    func corruptedBlob() throws {
        let hub = try FakeHub(faults: ["--corrupt", "model.safetensors"])
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        do {
            _ = try hub.downloader(settings).download(.init(repository: tiny, include: [Glob("model.safetensors")]))
            Issue.record("a corrupted file was accepted")
        } catch let e as HubError {
            #expect(e.description.hasPrefix("'model.safetensors' of lines-test/tiny-model failed its check (expected sha256 1554591d6fac4339bf2e891e4515263cabe2fcbe2ee8f47fb80964653da84936, got sha256 "), "\(e)")
        }
        let blobs = settings.cache.appendingPathComponent("models--lines-test--tiny-model/blobs")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).isEmpty)
        // The fault was once: the next try succeeds.
        let r = try hub.downloader(settings).download(.init(repository: tiny, include: [Glob("model.safetensors")]))
        #expect(r.fetched == 1)
    }

    @Test("a connection dropped mid-file is resumed with Range, and the file is whole")
    func droppedConnection() throws {
        let hub = try FakeHub(faults: ["--drop", "extra.bin"])
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        let r = try hub.downloader(settings).download(.init(repository: tiny, include: [Glob("extra.bin")]))
        #expect(r.fetched == 1)
        let gets = hub.requests.filter { $0.hasPrefix("GET /cdn/3a78218597e2502653bf18294a6602dbbeb0a9bed45eecdb9c7ca0a2bfd2a5c7") }
        #expect(gets.count == 2, "\(gets)")
        #expect(gets.last?.contains("range=bytes=12288-") == true, "\(gets)")
        let served = try Data(contentsOf: hub.repos.appendingPathComponent("models/lines-test/tiny-model/5c43447bdfe030229ef73e0e8b7c99e0be7c5431/extra.bin"))
        #expect(try Data(contentsOf: r.folder.appendingPathComponent("extra.bin")) == served)
    }

    @Test("a part already whole (a kill before its rename) is checked and renamed without a request")
    func wholePart() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        let sha = "3a78218597e2502653bf18294a6602dbbeb0a9bed45eecdb9c7ca0a2bfd2a5c7"
        let blobs = settings.cache.appendingPathComponent("models--lines-test--tiny-model/blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let served = try Data(contentsOf: hub.repos.appendingPathComponent("models/lines-test/tiny-model/5c43447bdfe030229ef73e0e8b7c99e0be7c5431/extra.bin"))
        try served.write(to: blobs.appendingPathComponent("\(sha).incomplete"))
        let r = try hub.downloader(settings).download(.init(repository: tiny, include: [Glob("extra.bin")]))
        #expect(r.fetched == 1)
        #expect(!hub.requests.contains { $0.hasPrefix("GET /cdn/") }, "\(hub.requests)")
        #expect(try Data(contentsOf: blobs.appendingPathComponent(sha)) == served)
    }

    @Test("server errors are retried; one that stays is reported with its status")
    func serverErrors() throws {
        let hub = try FakeHub(faults: ["--fail5xx", "2:config.json", "--fail5xx", "9:README.md"])
        defer { withExtendedLifetime(hub) {} }
        let d = hub.downloader(hub.settings())
        let r = try d.download(.init(repository: tiny, include: [Glob("config.json")]))
        #expect(r.fetched == 1)
        #expect(hub.requests.filter { $0.hasPrefix("GET /lines-test/tiny-model/resolve/") && $0.contains("config.json") }.count == 3)
        d.attempts = 3
        do {
            _ = try d.download(.init(repository: tiny, include: [Glob("README.md")]))
            Issue.record("a server that keeps failing was not reported")
        } catch let e as HubError {
            #expect(e.description.hasPrefix("The Hub answered 503 for http://127.0.0.1:\(hub.port)/lines-test/tiny-model/resolve/5c43447bdfe030229ef73e0e8b7c99e0be7c5431/README.md 3 times: Try again later; try again later."), "\(e)")
        }
    }

    @Test("401, 403, 404 and a bad name: one sentence each; the token goes to the Hub, not to the CDN")
    func refusals() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        func message(_ repo: String, revision: String = "main", token: String? = nil, kind: HubRepository.Kind = .model) -> String {
            do {
                _ = try hub.downloader(hub.settings(token: token)).download(.init(repository: try HubRepository(repo, kind: kind), revision: revision))
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message("lines-test/private") == "The Hub refused lines-test/private (401): it is private or does not exist; if it is yours, set HF_TOKEN (or log in with huggingface-cli, whose token file Lines reads).")
        #expect(message("lines-test/private", token: "wrong") == "The Hub refused the token for lines-test/private (401): it is not valid, or its account cannot see this repository.")
        #expect(message("lines-test/private", token: "hf_test_secret") == "no error")
        #expect(message("lines-test/gated") == "lines-test/gated is gated (403): accept its conditions on its Hub page with your account, then set HF_TOKEN to that account's token.")
        #expect(message("lines-test/nope") == "No repository lines-test/nope on \(hub.endpoint) (404): check the name, and give --repo-type dataset for a dataset.")
        #expect(message("lines-test/tiny-model", revision: "v9") == "lines-test/tiny-model has no revision 'v9' (404): give a branch, a tag or a commit hash that exists.")
        #expect(message("lines-test/tiny-data") == "No repository lines-test/tiny-data on \(hub.endpoint) (404): check the name, and give --repo-type dataset for a dataset.")
        #expect(message("lines-test/tiny-data", kind: .dataset) == "no error")
        #expect(message("tiny-model") == "'tiny-model' is not a repository name: expected OWNER/NAME, as nik-dim/tall_masks (letters, digits, - _ .).")
        #expect(message("a/../b") == "'a/../b' is not a repository name: expected OWNER/NAME, as nik-dim/tall_masks (letters, digits, - _ .).")
        // With a token: the Hub saw it, the CDN never did.
        _ = try hub.downloader(hub.settings(cache: hub.root.appendingPathComponent("c2"), token: "hf_test_secret")).download(.init(repository: tiny, include: [Glob("*.safetensors")]))
        let cdn = hub.requests.filter { $0.contains("/cdn/") }
        #expect(!cdn.isEmpty && cdn.allSatisfy { $0.hasSuffix("auth=no") }, "\(cdn)")
        #expect(hub.requests.contains { $0.contains("/resolve/") && $0.hasSuffix("auth=yes") })
    }

    @Test("an HTML page instead of a file is refused, nothing kept")
    func htmlPage() throws {
        let hub = try FakeHub(faults: ["--html", "config.json"])
        defer { withExtendedLifetime(hub) {} }
        let settings = hub.settings()
        do {
            _ = try hub.downloader(settings).download(.init(repository: tiny, include: [Glob("config.json")]))
            Issue.record("an HTML page was taken for the file")
        } catch let e as HubError {
            #expect(e.description == "The server sent an HTML page instead of 'config.json' of lines-test/tiny-model (a login, proxy or error page?); nothing was kept.")
        }
        let blobs = settings.cache.appendingPathComponent("models--lines-test--tiny-model/blobs")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).isEmpty)
    }

    @Test("a disk that fills up: one sentence, and neither a blob nor a part is left", .enabled(if: TinyDisk.mountable, "cannot mount a tmpfs here (needs root)"))
    func diskFull() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let disk = try TinyDisk(kilobytes: 16)
        defer { disk.unmount() }
        do {
            _ = try hub.downloader(hub.settings(cache: disk.folder)).download(.init(repository: tiny, include: [Glob("extra.bin")]))
            Issue.record("24 kB went into a 16 kB disk")
        } catch let e as HubError {
            #expect(e.description.hasPrefix("Cannot write \(disk.folder.path)/models--lines-test--tiny-model/blobs/3a78218597e2502653bf18294a6602dbbeb0a9bed45eecdb9c7ca0a2bfd2a5c7.incomplete: "), "\(e)")
            #expect(e.description.hasSuffix("; no partial file was left."))
        }
        let blobs = disk.folder.appendingPathComponent("models--lines-test--tiny-model/blobs")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).isEmpty)
    }

    @Test("offline: the cache answers alone; what it lacks is named")
    func offline() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let cache = hub.root.appendingPathComponent("cache")
        _ = try hub.downloader(hub.settings(cache: cache)).download(.init(repository: tiny, include: [Glob("*.json")]))
        // Another endpoint that does not exist: nothing may be asked of it.
        let off = HubDownloader(settings: HubSettings(endpoint: "http://127.0.0.1:9", cache: cache, offline: true))
        let r = try off.download(.init(repository: tiny, include: [Glob("*.json")]))
        #expect(r.commit == "5c43447bdfe030229ef73e0e8b7c99e0be7c5431" && r.files.map(\.path) == ["config.json"])
        func message(_ request: HubDownloader.Request) -> String {
            do { _ = try off.download(request); return "no error" } catch { return "\(error)" }
        }
        #expect(message(.init(repository: tiny, include: [Glob("*.safetensors")])) == "HF_HUB_OFFLINE is set and the cache (\(cache.path)) lacks 'model.safetensors' of lines-test/tiny-model at main.")
        #expect(message(.init(repository: tiny, revision: "v1")) == "HF_HUB_OFFLINE is set and the cache (\(cache.path)) does not hold lines-test/tiny-model at v1.")
        #expect(HubSettings(environment: ["HF_HUB_OFFLINE": "1", "HF_HOME": "/x"]).offline)
        #expect(HubSettings(environment: ["HF_HOME": "/x"]).cache.path == "/x/hub")
        #expect(HubSettings(environment: ["HF_HUB_CACHE": "/y", "HF_HOME": "/x", "HF_ENDPOINT": "http://e/"]).endpoint == "http://e")
    }

    @Test("a local folder gets the files and huggingface_hub's metadata")
    func localFolder() throws {
        let hub = try FakeHub()
        defer { withExtendedLifetime(hub) {} }
        let local = hub.root.appendingPathComponent("here")
        let r = try hub.downloader(hub.settings()).download(.init(repository: tiny, include: [Glob("tokenizer/*")], localFolder: local))
        #expect(r.folder == local)
        #expect(try String(contentsOf: local.appendingPathComponent("tokenizer/vocab.txt"), encoding: .utf8) == "[PAD]\n[UNK]\nhello\nworld\n")
        let meta = try String(contentsOf: local.appendingPathComponent(".cache/huggingface/download/tokenizer/vocab.txt.metadata"), encoding: .utf8)
        #expect(meta.hasPrefix("5c43447bdfe030229ef73e0e8b7c99e0be7c5431\ne342f2f577fec95877a977e4c5aec672cd6cb7f9\n"))
    }
}

@Suite("globs and hf:// addresses")
struct HubNamesTests {
    @Test("globs match as fnmatch does")
    func fnmatch() {
        let cases: [(String, String, Bool)] = [
            ("*.json", "config.json", true), ("*.json", "a/b.json", true), ("*32*", "ViT-B-32/MNISTVal/x.pt", true),
            ("tokenizer/", "tokenizer/vocab.txt", true), ("tokenizer/", "tokenizers.json", false),
            ("model-?.bin", "model-1.bin", true), ("model-?.bin", "model-10.bin", false),
            ("[ab]*", "b.txt", true), ("[!ab]*", "b.txt", false), ("[a-c].txt", "c.txt", true), ("data/*", "data/x/y", true),
            ("*", "", true), ("", "", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false),
        ]
        for (p, s, m) in cases { #expect(Glob(p).matches(s) == m, "\(p) ~ \(s)") }
    }

    @Test("the tree cache escapes paths as Python's json.dump does")
    func treeCacheEscapes() {
        let text = HubFile.treeCacheText([HubFile(path: "ü \"q\"\t\u{08}/😀.bin", size: 3, blobID: "b", lfsSHA256: "s", lfsSize: 3)])
        // json.dumps({"format_version": 1, "files": {"ü \"q\"\t\b/😀.bin": {...}}}, indent=1)
        #expect(text == "{\n \"format_version\": 1,\n \"files\": {\n  \"\\u00fc \\\"q\\\"\\t\\b/\\ud83d\\ude00.bin\": {\n   \"size\": 3,\n   \"blob_id\": \"b\",\n   \"lfs_sha256\": \"s\",\n   \"lfs_size\": 3\n  }\n }\n}")
        #expect(HubFile.treeCacheText([]) == "{\n \"format_version\": 1,\n \"files\": {}\n}")
    }

    @Test("hf:// addresses")
    func addresses() throws {
        let a = try HubAddress("hf://nik-dim/tall_masks/model_checkpoints/ViT-B-32")
        #expect(a.repository.id == "nik-dim/tall_masks" && a.revision == "main" && a.path == "model_checkpoints/ViT-B-32")
        let b = try HubAddress("hf://datasets/lines-test/tiny-data@v2/data/train.parquet")
        #expect(b.repository.kind == .dataset && b.revision == "v2" && b.path == "data/train.parquet")
        #expect(try HubAddress("hf://o/n").path == "")
        for bad in ["hf://only", "hf://o/n/../x", "hf://o/n@/x", "hf:///n"] {
            #expect(throws: HubError.self) { try HubAddress(bad) }
        }
    }
}

/// A small tmpfs, to fill up (root only).
final class TinyDisk {
    let folder: URL

    static let mountable: Bool = {
        guard getuid() == 0, let d = try? TinyDisk(kilobytes: 8) else { return false }
        d.unmount()
        return true
    }()

    init(kilobytes: Int) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lines-tinydisk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard Self.run(["mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", folder.path]) == 0 else {
            try? FileManager.default.removeItem(at: folder)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    func unmount() {
        _ = Self.run(["umount", folder.path])
        try? FileManager.default.removeItem(at: folder)
    }

    static func run(_ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}

/// huggingface_hub, where it is installed, run on the same server and cache.
enum PythonHub {
    static let available: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import huggingface_hub"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    static func snapshot(_ repo: String, endpoint: String, cache: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys; from huggingface_hub import snapshot_download; print(snapshot_download(sys.argv[1]))", repo]
        var env = ProcessInfo.processInfo.environment
        env["HF_ENDPOINT"] = endpoint
        env["HF_HUB_CACHE"] = cache.path
        env["HF_HUB_DISABLE_XET"] = "1"
        env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        env["HF_HUB_DISABLE_TELEMETRY"] = "1"
        env.removeValue(forKey: "HF_TOKEN")
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
