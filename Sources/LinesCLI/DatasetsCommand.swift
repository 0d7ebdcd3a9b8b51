import ArgumentParser
import DatasetDownloads
import Datasets
import Foundation
import Hub

/// `lines datasets`: what a reference `data_location` holds, and the exact splits Lines makes of it.
struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "List the paper's 20 tasks found in a data folder, or show one task's split.",
        discussion: """
        The folder is the reference's `data_location`, laid out as torchvision and the reference \
        read it (spec §3.2); nothing is converted. Validation splits are PyTorch's random_split of \
        the training set with seed 0 (EuroSAT: its EuroSAT_splits/val folder).

        Examples:
          lines datasets --data-location ~/data
          lines datasets show MNIST --split val --data-location ~/data
        """,
        subcommands: [List.self, Show.self, Download.self],
        defaultSubcommand: List.self
    )

    /// The shared `--data-location` option.
    struct Location: ParsableArguments {
        @Option(help: "The reference's data_location folder.")
        var dataLocation: String

        var url: URL { URL(fileURLWithPath: (dataLocation as NSString).expandingTildeInPath) }

        func validate() throws {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--data-location \(dataLocation) is not a folder.")
            }
        }
    }

    /// `lines datasets [list]`: every task, found or missing, with sizes and classes.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "For each of the 20 tasks: found or missing (and the file looked for), train/val/test sizes, classes.")

        @OptionGroup var location: Location

        @Option(help: "Only the first N tasks (8, 14 or 20 in the paper).")
        var tasks = 20

        func validate() throws {
            guard (1...20).contains(tasks) else { throw ValidationError("--tasks must be between 1 and 20, not \(tasks).") }
        }

        func run() throws {
            print(Self.report(TaskSurvey.all(dataLocation: location.url, count: tasks)), terminator: "")
        }

        /// The listing, one block per task.
        static func report(_ surveys: [TaskSurvey]) -> String {
            var out = ""
            for survey in surveys {
                let task = survey.task
                let ref = task.referenceSizes
                if let data = survey.dataset {
                    out += "\(task.rawValue): found  train \(data.count(.train))  val \(data.count(.val))  test \(data.count(.test))"
                    let same = (try? data.checkReferenceSizes()) != nil
                    if let ref { out += "  (reference val \(ref.val), test \(ref.test)\(same ? "" : ": differs"))" }
                    out += "  \(data.classNames.count) classes\n"
                    out += "    classes: \(preview(data.classNames))\n"
                } else if !survey.isSupported {
                    out += "\(task.rawValue): not readable yet (no reader for its format; it would look for \(survey.lookedFor))\n"
                } else {
                    out += "\(task.rawValue): missing  looked for \(survey.lookedFor)\n"
                    if let problem = survey.problem { out += "    \(problem)\n" }
                }
            }
            let found = surveys.filter { $0.dataset != nil }.count
            out += "\(found) of \(surveys.count) tasks found.\n"
            return out
        }

        static func preview(_ names: [String]) -> String {
            let head = names.prefix(5).joined(separator: ", ")
            return names.count > 5 ? head + ", … (\(names.count - 5) more)" : head
        }
    }

    /// `lines datasets show TASK --split val`: the split's first indices and a checksum of its index list.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a task split's size, first indices and the checksum of its index list.",
            discussion: """
            Indices of train and val point into the official training set (EuroSAT's val: into its \
            val folder); test indices are 0..<n. checksum = Σ (i + 1)·index[i] in Int64, which \
            numpy computes as (np.arange(1, n + 1) * idx).sum().
            """)

        @Argument(help: "Task name, e.g. MNIST or MNISTVal (case-insensitive).")
        var task: String

        @Option(help: "train, val or test.")
        var split: SplitArgument = .val

        @Option(help: "How many leading indices to print.")
        var count = 10

        @Flag(help: "Fail when the val or test size differs from the reference's (spec §3.2).")
        var strict = false

        @OptionGroup var location: Location

        func validate() throws {
            _ = try parsedTask()
            guard count >= 0 else { throw ValidationError("--count must not be negative.") }
        }

        func parsedTask() throws -> TaskName {
            do { return try TaskName(named: task) } catch let error as DatasetError {
                throw ValidationError(error.description)
            }
        }

        func run() throws {
            let data = try TaskLoader.load(try parsedTask(), dataLocation: location.url)
            if strict { try data.checkReferenceSizes() }
            print(Self.report(data, split: split.split, count: count), terminator: "")
        }

        /// The split's description.
        static func report(_ data: TaskDataset, split: DatasetSplit, count: Int) -> String {
            let indices = data.indices(split)
            let samples = data.samples(split)
            var out = "\(data.task.rawValue) \(split.rawValue): \(indices.count) samples, \(data.classNames.count) classes\n"
            out += "first indices: \(indices.prefix(count).map(String.init).joined(separator: " "))\n"
            out += "first labels: \(samples.prefix(count).map { String($0.label) }.joined(separator: " "))\n"
            out += "index checksum: \(TaskDataset.checksum(indices))\n"
            if let first = samples.first { out += "first sample: \(first.location)\n" }
            return out
        }
    }

    /// `--split` values.
    enum SplitArgument: String, ExpressibleByArgument, CaseIterable {
        case train, val, test
        var split: DatasetSplit { DatasetSplit(rawValue: rawValue) ?? .val }
    }

    /// `lines datasets download`: the tasks from their own sources, into the layout `list` reads.
    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download tasks from the sources the reference reads (torchvision's URLs, Google Drive, the Hugging Face Hub) into the data folder, laid out as the reference reads them.",
            discussion: """
            Fetched: MNIST, FashionMNIST, KMNIST (IDX .gz), CIFAR10, CIFAR100, STL10, Flowers102, OxfordIIITPet, Food101, RenderedSST2 (.tar.gz, .tgz), GTSRB, EMNIST (.zip), SVHN (.mat), \
            PCAM (gzip'd HDF5 from Google Drive), DTD and SUN397 (made into {train,val} from their partition-1 lists), \
            EuroSAT (split 21,600/2,700/2,700 by torch.randperm with seed 0), RESISC45 (with its split files), \
            FER2013 (the Hub's Parquet files of Jeneral/fer-2013, through the Hugging Face cache; HF_ENDPOINT and HF_HOME apply). \
            Every file is checked against its published MD5 or SHA-256 before use; archives are extracted into a \
            temporary folder (no path out of it, no links, a size bound) and moved into place whole. \
            Stanford Cars gets the manual step it needs.

              lines datasets download --tasks 8 --data-location ~/data
              lines datasets download MNIST CIFAR10 --data-location ~/data --mirror http://mirror.lab/datasets
            """)

        @Argument(help: ArgumentHelp("Tasks by name (default: the first --tasks of the paper's 20).", valueName: "TASK"))
        var names: [String] = []

        @Option(help: "The first N of the paper's tasks (8, 14 or 20), when no TASK is named.")
        var tasks = 8

        @Option(help: "The reference's data_location folder (created if missing).")
        var dataLocation: String

        @Option(help: ArgumentHelp("A base URL that serves the same files under their own names (replaces each file's host).", valueName: "URL"))
        var mirror: String?

        func validate() throws {
            guard (1...20).contains(tasks) else { throw ValidationError("--tasks must be between 1 and 20, not \(tasks).") }
        }

        func run() throws {
            let root = URL(fileURLWithPath: (dataLocation as NSString).expandingTildeInPath)
            var chosen: [TaskName] = []
            for n in names {
                guard let t = TaskName.allCases.first(where: { $0.rawValue.lowercased() == n.lowercased() }) else {
                    throw ValidationError("'\(n)' is not one of the paper's tasks (\(TaskName.allCases.map(\.rawValue).joined(separator: ", "))).")
                }
                chosen.append(t)
            }
            if chosen.isEmpty { chosen = TaskName.first(tasks) }
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let downloader = DatasetDownloader(mirror: mirror)
            var failed = 0
            for name in chosen {
                let task = name.rawValue
                let bar = ByteProgress(label: "Downloading \(task)")
                do {
                    let outcome = try downloader.download(task, into: root) { bar.update($0, $1) }
                    bar.finish()
                    switch outcome {
                    case let .fetched(fetched, present):
                        let survey = TaskSurvey(task: name, dataLocation: root)
                        let sizes = survey.dataset.map { "train \($0.count(.train)), val \($0.count(.val)), test \($0.count(.test))" } ?? (survey.problem ?? "")
                        printError("\(task): \(fetched) fetched, \(present) already there; \(sizes)")
                    case let .manual(step):
                        printError("\(task): not fetched automatically; \(step).")
                    }
                } catch {
                    bar.finish()
                    failed += 1
                    printError("\(task): \((error as? HubError)?.description ?? "\(error)")")
                }
            }
            if failed > 0 { throw CommandFailure(description: "\(failed) task\(failed == 1 ? "" : "s") could not be downloaded (above); nothing partial was left in \(root.path).") }
        }
    }
}
