import ArgumentParser
import Foundation
import Hub

struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download a Hugging Face Hub repository (or some of its files) into the cache huggingface_hub uses.",
        discussion: """
        Files land in huggingface_hub's cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub) in its layout (blobs/, snapshots/COMMIT/, refs/), so a file Python already downloaded is not fetched again, and Python finds what Lines fetched. Prints the snapshot folder (or --local-dir) on standard output.

          lines download nik-dim/tall_masks --include '*32*'
          lines run model_location=hf://nik-dim/tall_masks/model_checkpoints …   (the same, on demand)
          lines merge --pretrained hf://OWNER/NAME/zeroshot.pt --finetuned hf://OWNER/NAME/MNISTVal/nonlinear_finetuned.pt …

        Settings as huggingface_hub reads them: HF_ENDPOINT (another Hub or a mirror), HF_HOME, HF_HUB_CACHE, HF_TOKEN (else HF_TOKEN_PATH, else the file huggingface-cli login writes), HF_HUB_OFFLINE=1 (the cache only). Files are fetched 4 at a time, resumed after a dropped connection, retried on server errors, and checked (LFS SHA-256, git blob id) before they enter the cache; a failed file leaves no partial blob, only a resumable .incomplete part after a network failure.
        """
    )

    @Argument(help: ArgumentHelp("The repository, OWNER/NAME.", valueName: "OWNER/NAME"))
    var repository: String

    @Option(name: .customLong("include"), parsing: .upToNextOption, help: ArgumentHelp("Only files matching one of these globs (fnmatch: * also crosses /).", valueName: "GLOB"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), parsing: .upToNextOption, help: ArgumentHelp("Leave out files matching one of these globs.", valueName: "GLOB"))
    var exclude: [String] = []

    @Option(help: "A branch, a tag or a commit hash.")
    var revision = "main"

    @Option(name: .customLong("repo-type"), help: "model, dataset or space.")
    var repoType = "model"

    @Option(name: .customLong("local-dir"), help: ArgumentHelp("Also copy the files into this folder (the cache keeps them).", valueName: "DIR"))
    var localDir: String?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("The cache folder (default: as huggingface_hub chooses it).", valueName: "DIR"))
    var cacheDir: String?

    func validate() throws {
        guard HubRepository.Kind(rawValue: repoType) != nil else {
            throw ValidationError("--repo-type is '\(repoType)'; expected model, dataset or space")
        }
        guard !revision.isEmpty else { throw ValidationError("--revision is empty") }
    }

    func run() throws {
        do {
            let kind = HubRepository.Kind(rawValue: repoType) ?? .model
            var settings = HubSettings()
            if let cacheDir { settings.cache = URL(fileURLWithPath: (cacheDir as NSString).expandingTildeInPath) }
            let downloader = HubDownloader(settings: settings)
            let request = HubDownloader.Request(repository: try HubRepository(repository, kind: kind), revision: revision,
                                                include: include.map(Glob.init), exclude: exclude.map(Glob.init),
                                                localFolder: localDir.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) })
            let bar = ByteProgress(label: "Downloading \(repository)")
            let result = try downloader.download(request) { done, total in bar.update(done, total) }
            bar.finish()
            let cached = result.files.count - result.fetched
            printError("\(result.files.count) file\(result.files.count == 1 ? "" : "s") of \(request.repository) at \(result.commit.prefix(12)): \(result.fetched) fetched (\(ByteProgress.size(result.fetchedBytes))), \(cached) already in the cache (\(settings.cache.path)).")
            print(result.folder.path)
        } catch let e as HubError {
            throw CommandFailure(description: e.description)
        }
    }
}

/// Download progress on stderr: bytes, rate and ETA, redrawn on a terminal, a few lines otherwise.
final class ByteProgress: @unchecked Sendable {
    private let label: String
    private let start = Date()
    private let isTTY = isatty(STDERR_FILENO) != 0
    private var last = Date.distantPast
    private var lastQuarter = -1
    private let lock = NSLock()
    private var drew = false

    init(label: String) { self.label = label }

    static func size(_ n: Int64) -> String {
        let v = Double(n)
        if v >= 1e9 { return String(format: "%.2f GB", v / 1e9) }
        if v >= 1e6 { return String(format: "%.1f MB", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1f kB", v / 1e3) }
        return "\(n) B"
    }

    func update(_ done: Int64, _ total: Int64) {
        lock.lock(); defer { lock.unlock() }
        guard total > 0 else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        if isTTY {
            guard now.timeIntervalSince(last) > 0.1 || done >= total else { return }
            last = now
            let frac = min(1, Double(done) / Double(total))
            let filled = Int(frac * 30)
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let line = "\r\(label) " + String(repeating: "█", count: filled) + String(repeating: "·", count: 30 - filled)
                + " \(Self.size(done))/\(Self.size(total))  \(Self.size(Int64(rate)))/s  ETA \(String(format: "%.0f", eta))s "
            FileHandle.standardError.write(Data(line.utf8))
            drew = true
        } else {
            let quarter = Int(min(1, Double(done) / Double(total)) * 4)
            guard quarter > lastQuarter else { return }
            lastQuarter = quarter
            FileHandle.standardError.write(Data("\(label): \(Self.size(done))/\(Self.size(total)) (\(quarter * 25)%, \(String(format: "%.1f", elapsed))s)\n".utf8))
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if isTTY && drew { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
