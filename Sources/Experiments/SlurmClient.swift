import Foundation

/// Slurm's client commands (`sbatch`, `squeue`, `scancel`, `sinfo`), run as child processes:
/// Lines talks to an existing scheduler through the same commands its users type.
public struct SlurmClient: Sendable {
    /// Folders searched for the commands (default: `PATH`).
    public var searchPath: [String]

    public init(searchPath: [String]? = nil) {
        self.searchPath = searchPath ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    }

    /// The state of one queued job (or array task), as `squeue` reports it.
    public struct QueuedJob: Sendable, Equatable {
        /// `123` or `123_4` (an array task).
        public var id: String
        /// `PENDING`, `RUNNING`, `COMPLETING`, …
        public var state: String
        /// Why it waits (`Dependency`, `Resources`, `DependencyNeverSatisfied`, …).
        public var reason: String
    }

    /// The full path of `tool`, or `nil` when it is not on the search path.
    public func locate(_ tool: String) -> String? {
        for dir in searchPath where !dir.isEmpty {
            let candidate = (dir as NSString).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The path of `tool`.
    /// - Throws: ``ExperimentError/sweep(_:)`` when it is not on the search path.
    @discardableResult
    public func require(_ tool: String) throws -> String {
        guard let path = locate(tool) else {
            throw ExperimentError.sweep("launcher=slurm needs Slurm's \(tool) on PATH, and there is none (install Slurm's client commands, Debian's slurm-client, or run with launcher=local).")
        }
        return path
    }

    /// Runs `tool` with `arguments`: exit status, standard output, standard error.
    /// - Throws: ``ExperimentError/sweep(_:)`` when the tool is not installed.
    public func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let path = try require(tool)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let box = ErrorBox()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { box.data = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: box.data, as: UTF8.self))
    }

    /// Submits `script`; returns the job id.
    /// - Parameter options: sbatch options given on the command line (`--dependency=…`).
    /// - Throws: ``ExperimentError/sweep(_:)`` with sbatch's own reason when it refuses.
    public func submit(_ script: URL, options: [String] = []) throws -> String {
        let r = try run("sbatch", ["--parsable"] + options + [script.path])
        let id = r.out.split(separator: "\n").last.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let reason = (r.err + r.out).trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ")
            throw ExperimentError.sweep("sbatch refused \(script.path): \(reason.isEmpty ? "exit status \(r.status)" : reason).")
        }
        return id
    }

    /// The queued (pending or running) jobs and array tasks among `jobs`; jobs Slurm no longer
    /// lists (finished, cancelled, failed) are absent.
    public func queued(_ jobs: [String]) throws -> [QueuedJob] {
        var found: [QueuedJob] = []
        // One query per job: squeue fails on the whole list when one job has left its memory.
        for job in Set(jobs).sorted() {
            let r = try run("squeue", ["-h", "-r", "-j", job, "-o", "%i|%T|%r"])
            if r.status != 0 {
                // A job Slurm has forgotten is not queued; anything else (no controller) is not an answer.
                if r.err.localizedCaseInsensitiveContains("invalid job id") { continue }
                let reason = r.err.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: "; ")
                throw ExperimentError.sweep("squeue could not say whether job \(job) is queued (\(reason.isEmpty ? "exit status \(r.status)" : reason)); nothing was submitted or changed.")
            }
            for line in r.out.split(separator: "\n") {
                let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                guard f.count == 3 else { continue }
                found.append(QueuedJob(id: f[0], state: f[1], reason: f[2]))
            }
        }
        return found
    }

    /// Cancels `job` (ignores a job that has already left the queue).
    public func cancel(_ job: String) throws {
        _ = try run("scancel", [job])
    }

    /// The partitions Slurm knows (`sinfo`), or `nil` when it cannot be asked.
    public func partitions() throws -> [String]? {
        let r = try run("sinfo", ["-h", "-o", "%R"])
        guard r.status == 0 else { return nil }
        return r.out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// What a reader thread collected (written once, read after the semaphore).
private final class ErrorBox: @unchecked Sendable {
    var data = Data()
}
