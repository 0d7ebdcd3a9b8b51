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
        // The tasks that need more than extraction: SUN397's images and partition lists, EuroSAT RGB's
        // zip (unsplit), NWPU-RESISC45's zip and split files, PCAM's gzip'd HDF5 files.
        try sh(["python3", "-c", """
            import gzip, os, shutil, sys, tarfile, zipfile
            out, root = sys.argv[1], sys.argv[2]
            paths = {"a_abbey": "a/abbey", "b_bakery_shop": "b/bakery/shop", "y_youth_hostel": "y/youth_hostel"}
            lists = {"train": [], "val": []}
            with tarfile.open(os.path.join(out, "SUN397.tar.gz"), "w:gz") as t:
                for split in ("train", "val"):
                    base = os.path.join(root, "sun397", split)
                    for c in sorted(os.listdir(base)):
                        for f in sorted(os.listdir(os.path.join(base, c))):
                            name = "/%s/sun_%s_%s" % (paths[c], split, f[4:])
                            t.add(os.path.join(base, c, f), "SUN397" + name)
                            lists[split].append(name)
                t.add(os.path.join(base, c, f), "SUN397/a/abbey/sun_unlisted.jpg")
            with zipfile.ZipFile(os.path.join(out, "Partitions.zip"), "w") as z:
                z.writestr("Training_01.txt", "\\n".join(lists["train"]) + "\\n")
                z.writestr("Testing_01.txt", "\\n".join(lists["val"]) + "\\n")
                z.writestr("Training_02.txt", "/a/abbey/sun_unlisted.jpg\\n")
            with zipfile.ZipFile(os.path.join(out, "EuroSAT.zip"), "w", zipfile.ZIP_DEFLATED) as z:
                for split in ("train", "val", "test"):
                    base = os.path.join(root, "EuroSAT_splits", split)
                    for c in sorted(os.listdir(base)):
                        for f in sorted(os.listdir(os.path.join(base, c))):
                            for k in range(20):
                                z.write(os.path.join(base, c, f), "2750/%s/%s_%d_%s" % (c, split, k, f))
            r = os.path.join(root, "resisc45")
            with zipfile.ZipFile(os.path.join(out, "NWPU-RESISC45.zip"), "w") as z:
                for d, _, files in os.walk(os.path.join(r, "NWPU-RESISC45")):
                    for f in files:
                        z.write(os.path.join(d, f), os.path.relpath(os.path.join(d, f), r))
            for f in ("resisc45-train.txt", "resisc45-test.txt"):
                shutil.copy(os.path.join(r, f), os.path.join(out, f))
            p = os.path.join(root, "PCAM", "pcam")
            for f in sorted(os.listdir(p)):
                with open(os.path.join(p, f), "rb") as src, gzip.open(os.path.join(out, f + ".gz"), "wb") as dst:
                    dst.write(src.read())
            """, m.path, Self.fixtureRoot.path], in: m)
        var sources = DatasetSource.builtIn
        for i in sources.indices {
            for j in sources[i].files.indices {
                let local = m.appendingPathComponent(sources[i].files[j].name)
                if fm.fileExists(atPath: local.path) {
                    sources[i].files[j].checksum = .md5(try md5(local))
                    try link(m, sources[i].task, sources[i].files[j].name)
                }
            }
        }
        return (m, sources)
    }

    /// `body` with a downloader whose mirror serves ``mirror(_:)``'s files, and an empty data folder.
    func withMirror(_ body: (DatasetDownloader, URL) throws -> Void) throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (folder, sources) = try mirror(work)
        let server = try FileServer(folder)
        defer { withExtendedLifetime(server) {} }
        let data = work.appendingPathComponent("data")
        var d = DatasetDownloader(sources: sources, mirror: server.url)
        d.fetcher.retryDelay = 0.05
        try body(d, data)
    }

    @Test("IDX .gz, .mat, tar.gz, .tgz and .zip tasks are fetched, checked and laid out as the loaders read them")
    func fetchAndLayOut() throws { try withMirror { d, data in
        let tasks = ["MNIST", "SVHN", "CIFAR10", "STL10", "Flowers102", "OxfordIIITPet", "Food101", "RenderedSST2", "GTSRB", "EMNIST", "DTD",
                     "SUN397", "RESISC45", "PCAM"]
        let counts = ["MNIST": 4, "SVHN": 2, "Flowers102": 3, "OxfordIIITPet": 2, "GTSRB": 3, "SUN397": 2, "RESISC45": 3, "PCAM": 4]
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
        #expect(try d.download("SUN397", into: data) == .fetched(0, 2))
        #expect(try d.download("Cars", into: data) == .manual(DatasetSource.manualSteps["Cars"] ?? ""))
        // SUN397: class folders named by their paths, the unlisted image not written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("sun397/train").path).sorted()
                == ["a_abbey", "b_bakery_shop", "y_youth_hostel"])
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("sun397/train/a_abbey/sun_unlisted.jpg").path))
        #expect(try TaskLoader.load(.sun397, dataLocation: data).classNames == ["abbey", "bakery shop", "youth hostel"])
        // PCAM: the HDF5 files inflated, the .gz gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("PCAM/pcam").path).sorted()
                == ["camelyonpatch_level_2_split_test_x.h5", "camelyonpatch_level_2_split_test_y.h5",
                    "camelyonpatch_level_2_split_train_x.h5", "camelyonpatch_level_2_split_train_y.h5"])
        // EMNIST: the digits split only, by name.
        let emnist = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("EMNIST/EMNIST/raw").path).sorted()
        #expect(emnist == ["emnist-digits-test-images-idx3-ubyte.gz", "emnist-digits-test-labels-idx1-ubyte.gz",
                           "emnist-digits-train-images-idx3-ubyte.gz", "emnist-digits-train-labels-idx1-ubyte.gz"])
    } }

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
        badMD5[mnist].files[0].checksum = .md5(String(repeating: "0", count: 32))
        #expect(message("MNIST", badMD5).hasPrefix("'train-images-idx3-ubyte.gz' of MNIST failed its check (expected md5 00000000000000000000000000000000, got md5 "))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("MNIST/raw/train-images-idx3-ubyte.gz").path))
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("MNIST/raw/.train-images-idx3-ubyte.gz.part").path))

        let c100 = try #require(sources.firstIndex { $0.task == "CIFAR100" })
        sources[c100].files[0].checksum = .md5(try md5(folder.appendingPathComponent("cifar-100-python.tar.gz")))
        #expect(message("CIFAR100", sources) == "CIFAR100: cifar-100-python.tar.gz member '../escaped.txt' would be written outside its folder; refused; nothing was extracted")
        sources[c100].files[0].url = "http://x/evil-link.tar.gz"
        sources[c100].files[0].checksum = .md5(try md5(folder.appendingPathComponent("evil-link.tar.gz")))
        #expect(message("CIFAR100", sources) == "CIFAR100: evil-link.tar.gz member 'cifar-100-python/meta' is a link or a special file (type '2'); archives may hold only files and folders; nothing was extracted")
        // A zip member that climbs out.
        try sh(["python3", "-c", "import zipfile; z = zipfile.ZipFile('GT-evil.zip', 'w'); z.writestr('../escaped.txt', b'x'); z.close()"], in: folder)
        try link(folder, "GTSRB", "GT-evil.zip")
        let gtsrb = try #require(sources.firstIndex { $0.task == "GTSRB" })
        sources[gtsrb].files = [DatasetSource.File(url: "http://x/GT-evil.zip", md5: try md5(folder.appendingPathComponent("GT-evil.zip")),
                                                   action: .extractZip(into: "gtsrb", provides: ["GT-final_test.csv"]))]
        #expect(message("GTSRB", sources) == "GTSRB: GT-evil.zip member '../escaped.txt' would be written outside its folder; refused; nothing was extracted")
        // A zip whose member declares 1,000 bytes and inflates to a megabyte (its headers patched).
        try sh(["python3", "-c", """
            import struct, zipfile
            z = zipfile.ZipFile('GT-bomb.zip', 'w', zipfile.ZIP_DEFLATED); z.writestr('GT-final_test.csv', b'0' * (1 << 20)); z.close()
            b = bytearray(open('GT-bomb.zip', 'rb').read())
            struct.pack_into('<I', b, 22, 1000)
            cd = b.rfind(b'PK\\x01\\x02'); struct.pack_into('<I', b, cd + 24, 1000)
            open('GT-bomb.zip', 'wb').write(b)
            """], in: folder)
        try link(folder, "GTSRB", "GT-bomb.zip")
        sources[gtsrb].files = [DatasetSource.File(url: "http://x/GT-bomb.zip", md5: try md5(folder.appendingPathComponent("GT-bomb.zip")),
                                                   action: .extractZip(into: "gtsrb", provides: ["GT-final_test.csv"]))]
        #expect(message("GTSRB", sources) == "GTSRB: GT-bomb.zip member 'GT-final_test.csv' inflates past the 1000 bytes it declares; refused as an archive bomb; nothing was extracted")
        #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("gtsrb").path))
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
        let manual = try LinesProcess.run(exe, ["datasets", "download", "Cars", "--data-location", data])
        #expect(manual.status == 0 && manual.stderr.contains("Cars: not fetched automatically; Stanford Cars is no longer served"), "\(manual.stderr)")
        // The fixture's MNIST is not torchvision's: its MD5 differs from the built-in table's.
        let r = try LinesProcess.run(exe, ["datasets", "download", "MNIST", "--data-location", data, "--mirror", server.url])
        #expect(r.status == 1)
        #expect(r.stderr.contains("MNIST: 'train-images-idx3-ubyte.gz' of MNIST failed its check (expected md5 f68b3c2dcbeaaa9fbdd348bbdeb94873"), "\(r.stderr)")
        #expect(r.stderr.contains("1 task could not be downloaded"))
        let bad = try LinesProcess.run(exe, ["datasets", "download", "Imagenet", "--data-location", data])
        #expect(bad.status != 0 && bad.stderr.contains("'Imagenet' is not one of the paper's tasks"))
    }

    @Test("EuroSAT: the zip's images permuted as torch.randperm(n, Generator().manual_seed(0)) permutes them, split 80/10/10")
    func eurosatSplit() throws { try withMirror { d, data in
        #expect(try d.download("EuroSAT", into: data) == .fetched(1, 0))
        let expected = try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/eurosat_split.json")))
        for split in ["train", "val", "test"] {
            let base = data.appendingPathComponent("EuroSAT_splits/\(split)")
            let found = try FileManager.default.contentsOfDirectory(atPath: base.path).flatMap { c in
                try FileManager.default.contentsOfDirectory(atPath: base.appendingPathComponent(c).path).map { "\(c)/\($0)" }
            }.sorted()
            #expect(found == expected[split], "\(split)")
        }
        let loaded = try TaskLoader.load(.eurosat, dataLocation: data)
        let sizes: [Int] = [loaded.count(.train), loaded.count(.val), loaded.count(.test)]
        #expect(sizes == [640, 80, 80])
        #expect(try d.download("EuroSAT", into: data) == .fetched(0, 1))
    } }

    @Test("PCAM through Google Drive: the virus-scan page's form is followed, a refusal is one sentence")
    func googleDrive() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = work.appendingPathComponent("drive")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let pcam = Self.fixtureRoot.appendingPathComponent("PCAM/pcam")
        var table: [DatasetSource.File] = []
        for (i, name) in try FileManager.default.contentsOfDirectory(atPath: pcam.path).sorted().enumerated() {
            // The large x files behind the virus-scan page, the small y files served at once, as Drive does.
            let id = (name.contains("_x") ? "large" : "small") + "\(i)"
            try sh(["sh", "-c", "gzip -c \(pcam.appendingPathComponent(name).path) > \(files.appendingPathComponent(id).path)"], in: work)
            table.append(.init(url: "ID:\(id)", checksum: .md5(try md5(files.appendingPathComponent(id))), action: .gunzip(into: "PCAM/pcam"),
                               host: .googleDrive, name: name + ".gz"))
        }
        let log = work.appendingPathComponent("drive.log")
        let process = Process(), input = Pipe()
        let port = try launchServer(process, input: input, ["python3", "-u", "-c", """
            import html, os, sys, threading
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            from urllib.parse import parse_qs, urlsplit
            folder, log = sys.argv[1], sys.argv[2]
            class H(BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def do_GET(self):
                    u = urlsplit(self.path); q = {k: v[0] for k, v in parse_qs(u.query).items()}
                    open(log, "a").write("%s %s\\n" % (u.path, q.get("id", "")))
                    fid = q.get("id", "")
                    if fid == "quota":
                        return self.page('<p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently.</p>')
                    path = os.path.join(folder, os.path.basename(fid))
                    if not os.path.isfile(path):
                        self.send_response(404); self.end_headers(); return
                    if fid.startswith("large") and not (u.path == "/download" and q.get("confirm") == "t" and q.get("uuid") == "u-1"):
                        action = "http://127.0.0.1:%d/download" % self.server.server_address[1]
                        return self.page('<form id="download-form" action="%s" method="get"><input type="submit" value="Download anyway"/>'
                                         '<input type="hidden" name="id" value="%s"><input type="hidden" name="export" value="download">'
                                         '<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-1"></form>' % (action, html.escape(fid)))
                    data = open(path, "rb").read()
                    self.send_response(200); self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
                def page(self, body):
                    data = ("<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>%s</body></html>" % body).encode()
                    self.send_response(200); self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
            server = ThreadingHTTPServer(("127.0.0.1", 0), H)
            print("PORT %d" % server.server_address[1], flush=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            sys.stdin.read()
            """, files.path, log.path])
        defer { try? input.fileHandleForWriting.close(); process.waitUntilExit() }
        for i in table.indices { table[i].url = "http://127.0.0.1:\(port)/uc?export=download&id=\(table[i].url.dropFirst(3))" }
        let data = work.appendingPathComponent("data")
        var d = DatasetDownloader(sources: [DatasetSource(task: "PCAM", files: table)])
        d.fetcher.retryDelay = 0.05
        #expect(try d.download("PCAM", into: data) == .fetched(4, 0))
        let ours = try TaskLoader.load(.pcam, dataLocation: data), theirs = try TaskLoader.load(.pcam, dataLocation: Self.fixtureRoot)
        for split in [DatasetSplit.train, .val, .test] { #expect(ours.count(split) == theirs.count(split)) }
        for name in try FileManager.default.contentsOfDirectory(atPath: pcam.path) {
            #expect(try md5(data.appendingPathComponent("PCAM/pcam/\(name)")) == md5(pcam.appendingPathComponent(name)))
        }
        // Each large file: the page, then the form's URL; each small one: one request.
        let requests = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(requests.filter { $0.hasPrefix("/download large") }.count == 2)
        #expect(requests.filter { $0.hasPrefix("/uc large") }.count == 2)
        #expect(!requests.contains { $0.hasPrefix("/download small") })
        // Again: nothing is asked for.
        #expect(try d.download("PCAM", into: data) == .fetched(0, 4))
        #expect(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count == requests.count)
        // Drive's own refusal, in its words.
        var quota = table[0]
        quota.url = "http://127.0.0.1:\(port)/uc?export=download&id=quota"
        quota.name = "quota.h5.gz"
        let other = work.appendingPathComponent("other")
        do {
            _ = try DatasetDownloader(sources: [DatasetSource(task: "PCAM", files: [quota])]).download("PCAM", into: other)
            Issue.record("a refused file was accepted")
        } catch {
            #expect("\(error)" == "PCAM: Google Drive refused http://127.0.0.1:\(port)/uc?export=download&id=quota: Too many users have viewed or downloaded this file recently.")
        }
        #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent("PCAM").path))
    }

    @Test("FER2013 from the Hub's Parquet conversion: the cache as huggingface_hub keeps it, fer2013.csv as Pillow reads the faces")
    func fer2013() throws {
        let parquet = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/parquet")
        let hub = try FakeHub { repos in
            let repo = repos.appendingPathComponent("datasets/Jeneral/fer-2013")
            let main = "1111111111111111111111111111111111111111", converted = "2222222222222222222222222222222222222222"
            try FileManager.default.createDirectory(at: repo.appendingPathComponent(main), withIntermediateDirectories: true)
            try Data("# fer-2013\n".utf8).write(to: repo.appendingPathComponent("\(main)/README.md"))
            try FileManager.default.createDirectory(at: repo.appendingPathComponent(converted), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: parquet.appendingPathComponent("fer-2013/default"), to: repo.appendingPathComponent("\(converted)/default"))
            let json = #"{"refs": {"main": "\#(main)", "refs/convert/parquet": "\#(converted)"}, "lfs": ["*.parquet"]}"#
            try Data(json.utf8).write(to: repo.appendingPathComponent("repo.json"))
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lines-ds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        var d = DatasetDownloader()
        d.hubSettings = hub.settings(cache: work.appendingPathComponent("hf"))
        d.fetcher.retryDelay = 0.05
        let data = work.appendingPathComponent("data")
        #expect(try d.download("FER2013", into: data) == .fetched(2, 0))
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: parquet.appendingPathComponent("fer2013_expected.json"))) as? [String: Any]
        let csv = try Data(contentsOf: data.appendingPathComponent("fer2013/fer2013.csv"))
        let digest = SHA256.hash(data: csv).map { String(format: "%02x", $0) }.joined()
        #expect(digest == (expected?["sha256"] as? String ?? "missing"))
        let loaded = try TaskLoader.load(.fer2013, dataLocation: data)
        #expect(loaded.count(.train) + loaded.count(.val) == 14 && loaded.count(.test) == 7)
        // The blobs sit in the Hub's cache under the conversion branch's ref, as huggingface_hub keeps them.
        let cache = work.appendingPathComponent("hf/datasets--Jeneral--fer-2013")
        #expect(try String(contentsOf: cache.appendingPathComponent("refs/refs/convert/parquet"), encoding: .utf8) == "2222222222222222222222222222222222222222")
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent("snapshots/2222222222222222222222222222222222222222/default/train/0000.parquet").path))
        #expect(try d.download("FER2013", into: data) == .fetched(0, 1))
    }
}
