import Crypto
import DatasetDownloads
import Datasets
import Foundation
import Hub
import TestSupport
import Testing

/// Python's `http.server` on a folder: a dataset's host, on loopback. It stops when this object
/// goes (its standard input closes).
final class FileServer: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let port: Int
    let folder: URL

    init(_ folder: URL) throws {
        self.folder = folder
        port = try launchServer(process, input: input, ["python3", "-u", "-c", """
            import functools, http.server, sys, threading
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print("PORT %d" % server.server_address[1], flush=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            sys.stdin.read()
            """, folder.path])
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    var url: String { "http://127.0.0.1:\(port)/" }
}

@Suite("lines datasets download", .serialized)
struct DatasetDownloadTests {
    static let fixtureRoot = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/root")

    func md5(_ url: URL) throws -> String {
        Insecure.MD5.hash(data: try Data(contentsOf: url)).map { String(format: "%02x", $0) }.joined()
    }

    func sh(_ args: [String], in folder: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.currentDirectoryURL = folder
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(args)")
    }

    /// `{mirror}/{task}/{name}`, where the downloader asks for it, linked to the flat file.
    func link(_ mirror: URL, _ task: String, _ name: String) throws {
        let folder = mirror.appendingPathComponent(task)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: "../\(name)")
    }

    /// A mirror with the tasks' files in the formats their hosts use, made from the repository's
    /// tiny fixtures (IDX .gz, .mat, tar.gz), and the built-in table with their MD5s.
    func mirror(_ work: URL) throws -> (folder: URL, sources: [DatasetSource]) {
        let fm = FileManager.default
        let m = work.appendingPathComponent("mirror")
        try fm.createDirectory(at: m, withIntermediateDirectories: true)
        for f in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try fm.copyItem(at: Self.fixtureRoot.appendingPathComponent("MNIST/raw/\(f)"), to: m.appendingPathComponent(f))
        }
        for f in ["train_32x32.mat", "test_32x32.mat"] {
            try fm.copyItem(at: Self.fixtureRoot.appendingPathComponent("svhn/\(f)"), to: m.appendingPathComponent(f))
        }
        try sh(["tar", "czf", m.appendingPathComponent("cifar-10-python.tar.gz").path, "cifar-10-batches-py"], in: Self.fixtureRoot)
        try sh(["tar", "czf", m.appendingPathComponent("stl10_binary.tar.gz").path, "stl10_binary"], in: Self.fixtureRoot.appendingPathComponent("stl10"))
        let flowers = Self.fixtureRoot.appendingPathComponent("flowers102/flowers-102")
        try sh(["tar", "czf", m.appendingPathComponent("102flowers.tgz").path, "jpg"], in: flowers)
        for f in ["imagelabels.mat", "setid.mat"] { try fm.copyItem(at: flowers.appendingPathComponent(f), to: m.appendingPathComponent(f)) }
        let pets = Self.fixtureRoot.appendingPathComponent("OxfordIIITPet/oxford-iiit-pet")
        try sh(["tar", "czf", m.appendingPathComponent("images.tar.gz").path, "images"], in: pets)
        try sh(["tar", "czf", m.appendingPathComponent("annotations.tar.gz").path, "annotations"], in: pets)
        try sh(["tar", "czf", m.appendingPathComponent("food-101.tar.gz").path, "food-101"], in: Self.fixtureRoot.appendingPathComponent("food101"))
        try sh(["tar", "czf", m.appendingPathComponent("rendered-sst2.tgz").path, "rendered-sst2"], in: Self.fixtureRoot.appendingPathComponent("RenderedSST2"))
        // DTD as its host serves it: dtd/images/{class}/…, dtd/labels/{train,val,test}1.txt.
        try sh(["python3", "-c", """
            import os, sys, tarfile
            out, root = sys.argv[1], sys.argv[2]
            lists = {"train1.txt": [], "val1.txt": [], "test1.txt": []}
            with tarfile.open(os.path.join(out, "dtd-r1.0.1.tar.gz"), "w:gz") as t:
                for split in ("train", "val"):
                    base = os.path.join(root, "dtd", split)
                    for i, (cls, f) in enumerate(sorted((c, f) for c in os.listdir(base) for f in os.listdir(os.path.join(base, c)))):
                        t.add(os.path.join(base, cls, f), "dtd/images/%s/%s" % (cls, f))
                        lists["test1.txt" if split == "val" else ("train1.txt" if i % 2 == 0 else "val1.txt")].append("%s/%s" % (cls, f))
                for name, lines in lists.items():
                    path = os.path.join(out, name)
                    open(path, "w").write("\\n".join(lines) + "\\n")
                    t.add(path, "dtd/labels/" + name)
                    os.remove(path)
            """, m.path, Self.fixtureRoot.path], in: m)
        // Zip archives as their hosts serve them: GTSRB's three (deflated), EMNIST's gzip.zip of every split.
        try sh(["python3", "-c", """
            import os, sys, zipfile
            out, root = sys.argv[1], sys.argv[2]
            def pack(name, base, members):
                with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_DEFLATED) as z:
                    for m in members:
                        for d, _, files in os.walk(os.path.join(base, m)):
                            for f in files:
                                full = os.path.join(d, f); z.write(full, os.path.relpath(full, base))
                        if os.path.isfile(os.path.join(base, m)): z.write(os.path.join(base, m), m)
            g = os.path.join(root, "gtsrb")
            pack("GTSRB-Training_fixed.zip", g, ["GTSRB/Training"])
            pack("GTSRB_Final_Test_Images.zip", g, ["GTSRB/Final_Test"])
            pack("GTSRB_Final_Test_GT.zip", g, ["GT-final_test.csv"])
            raw = os.path.join(root, "EMNIST", "EMNIST", "raw")
            with zipfile.ZipFile(os.path.join(out, "gzip.zip"), "w") as z:
                for f in sorted(os.listdir(raw)):
                    z.write(os.path.join(raw, f), "gzip/" + f)
                z.writestr("gzip/emnist-letters-train-images-idx3-ubyte.gz", b"not wanted")
            """, m.path, Self.fixtureRoot.path], in: m)
        var sources = DatasetSource.builtIn
        for i in sources.indices {
            for j in sources[i].files.indices {
                let local = m.appendingPathComponent(sources[i].files[j].name)
                if fm.fileExists(atPath: local.path) {
                    sources[i].files[j].md5 = try md5(local)
                    try link(m, sources[i].task, sources[i].files[j].name)
                }
            }
        }
        return (m, sources)
    }

    @Test("IDX .gz, .mat, tar.gz, .tgz and .zip tasks are fetched, checked and laid out as the loaders read them")
    func fetchAndLayOut() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (folder, sources) = try mirror(work)
        let server = try FileServer(folder)
        defer { withExtendedLifetime(server) {} }
        let data = work.appendingPathComponent("data")
        var d = DatasetDownloader(sources: sources, mirror: server.url)
        d.fetcher.retryDelay = 0.05
        let tasks = ["MNIST", "SVHN", "CIFAR10", "STL10", "Flowers102", "OxfordIIITPet", "Food101", "RenderedSST2", "GTSRB", "EMNIST", "DTD"]
        let counts = ["MNIST": 4, "SVHN": 2, "Flowers102": 3, "OxfordIIITPet": 2, "GTSRB": 3]
        for task in tasks {
            #expect(try d.download(task, into: data) == .fetched(counts[task] ?? 1, 0), "\(task)")
        }
        // The same splits as the fixture folder the files came from.
        for name in tasks {
            let task = try #require(TaskName.allCases.first { $0.rawValue == name })
            let ours = try TaskLoader.load(task, dataLocation: data), theirs = try TaskLoader.load(task, dataLocation: Self.fixtureRoot)
            for split in [DatasetSplit.train, .val, .test] { #expect(ours.count(split) == theirs.count(split), "\(name) \(split)") }
        }
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent(".lines-download").path))
        // Again: nothing is fetched.
        #expect(try d.download("MNIST", into: data) == .fetched(0, 4))
        #expect(try d.download("CIFAR10", into: data) == .fetched(0, 1))
        #expect(try d.download("EuroSAT", into: data) == .manual(DatasetSource.manualSteps["EuroSAT"] ?? ""))
        // EMNIST: the digits split only, by name.
        let emnist = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("EMNIST/EMNIST/raw").path).sorted()
        #expect(emnist == ["emnist-digits-test-images-idx3-ubyte.gz", "emnist-digits-test-labels-idx1-ubyte.gz",
                           "emnist-digits-train-images-idx3-ubyte.gz", "emnist-digits-train-labels-idx1-ubyte.gz"])
    }

    @Test("a wrong checksum and a hostile archive are refused; nothing is placed, nothing written outside")
    func refusals() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        var (folder, sources) = try mirror(work)
        // An archive whose member climbs out of the folder, and one with a link.
        try sh(["python3", "-c", """
            import tarfile, io
            for name, member in [("cifar-100-python.tar.gz", "../escaped.txt"), ("evil-link.tar.gz", None)]:
                with tarfile.open(name, "w:gz") as t:
                    if member:
                        data = b"outside"
                        info = tarfile.TarInfo(member); info.size = len(data); t.addfile(info, io.BytesIO(data))
                    else:
                        info = tarfile.TarInfo("cifar-100-python/meta"); info.type = tarfile.SYMTYPE; info.linkname = "/etc/passwd"; t.addfile(info)
            """], in: folder)
        let data = work.appendingPathComponent("data")
        for (task, name) in [("CIFAR100", "cifar-100-python.tar.gz"), ("CIFAR100", "evil-link.tar.gz")] { try link(folder, task, name) }
        let server = try FileServer(folder)
        defer { withExtendedLifetime(server) {} }
        func message(_ task: String, _ table: [DatasetSource]) -> String {
            var d = DatasetDownloader(sources: table, mirror: server.url)
            d.fetcher.retryDelay = 0.05
            do { _ = try d.download(task, into: data); return "no error" } catch { return "\(error)" }
        }
        var badMD5 = sources
        let mnist = try #require(badMD5.firstIndex { $0.task == "MNIST" })
        badMD5[mnist].files[0].md5 = String(repeating: "0", count: 32)
        #expect(message("MNIST", badMD5).hasPrefix("'train-images-idx3-ubyte.gz' of MNIST failed its check (expected md5 00000000000000000000000000000000, got md5 "))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("MNIST/raw/train-images-idx3-ubyte.gz").path))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("MNIST/raw/.train-images-idx3-ubyte.gz.part").path))

        let c100 = try #require(sources.firstIndex { $0.task == "CIFAR100" })
        sources[c100].files[0].md5 = try md5(folder.appendingPathComponent("cifar-100-python.tar.gz"))
        #expect(message("CIFAR100", sources) == "CIFAR100: cifar-100-python.tar.gz member '../escaped.txt' would be written outside its folder; refused; nothing was extracted")
        sources[c100].files[0].url = "http://x/evil-link.tar.gz"
        sources[c100].files[0].md5 = try md5(folder.appendingPathComponent("evil-link.tar.gz"))
        #expect(message("CIFAR100", sources) == "CIFAR100: evil-link.tar.gz member 'cifar-100-python/meta' is a link or a special file (type '2'); archives may hold only files and folders; nothing was extracted")
        // A zip member that climbs out.
        try sh(["python3", "-c", "import zipfile; z = zipfile.ZipFile('GT-evil.zip', 'w'); z.writestr('../escaped.txt', b'x'); z.close()"], in: folder)
        try link(folder, "GTSRB", "GT-evil.zip")
        let gtsrb = try #require(sources.firstIndex { $0.task == "GTSRB" })
        sources[gtsrb].files = [DatasetSource.File(url: "http://x/GT-evil.zip", md5: try md5(folder.appendingPathComponent("GT-evil.zip")),
                                                   action: .extractZip(into: "gtsrb", provides: ["GT-final_test.csv"]))]
        #expect(message("GTSRB", sources) == "GTSRB: GT-evil.zip member '../escaped.txt' would be written outside its folder; refused; nothing was extracted")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("escaped.txt").path))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("cifar-100-python").path))
        // Nothing of the refused archives stays in the data folder (no archive, no staging folder).
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent(".lines-download").path))
    }

    @Test("the command: a manual step is a note; a file that fails its check is an error naming it")
    func command() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (folder, _) = try mirror(work)
        let server = try FileServer(folder)
        defer { withExtendedLifetime(server) {} }
        let exe = try #require(LinesProcess.executable, "the lines executable is not built")
        let data = work.appendingPathComponent("data").path
        let manual = try LinesProcess.run(exe, ["datasets", "download", "EuroSAT", "--data-location", data])
        #expect(manual.status == 0 && manual.stderr.contains("EuroSAT: not fetched automatically; the reference reads EuroSAT_splits"), "\(manual.stderr)")
        // The fixture's MNIST is not torchvision's: its MD5 differs from the built-in table's.
        let r = try LinesProcess.run(exe, ["datasets", "download", "MNIST", "--data-location", data, "--mirror", server.url])
        #expect(r.status == 1)
        #expect(r.stderr.contains("MNIST: 'train-images-idx3-ubyte.gz' of MNIST failed its check (expected md5 f68b3c2dcbeaaa9fbdd348bbdeb94873"), "\(r.stderr)")
        #expect(r.stderr.contains("1 task could not be downloaded"))
        let bad = try LinesProcess.run(exe, ["datasets", "download", "Imagenet", "--data-location", data])
        #expect(bad.status != 0 && bad.stderr.contains("'Imagenet' is not one of the paper's tasks"))
    }
}
