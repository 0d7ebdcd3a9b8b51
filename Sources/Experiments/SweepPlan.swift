import Foundation

/// What a planned sweep recorded in its folder (``SweepFolder/planURL``): the fingerprint of
/// its configuration and inputs, its units, the command every worker runs, and the jobs
/// submitted so far. Workers refuse to run without it (a run folder that the nodes do not
/// share) or when their own fingerprint differs (a configuration changed since the plan).
public struct SweepPlan: Codable, Sendable, Equatable {
    /// ``ExperimentRunner/sweepFingerprint()`` of the run the plan is for.
    public var fingerprint: String
    /// The results file the selection unit writes.
    public var result: String
    /// The units, validation first, selection last.
    public var units: [SweepUnit]
    /// The worker command without `--unit N`: the executable, then its arguments.
    public var command: [String]
    /// The folder the workers start in (relative paths of the overrides are relative to it).
    public var directory: String
    /// Every submission to a scheduler, oldest first.
    public var submissions: [Submission] = []

    /// One submission of some units.
    public struct Submission: Codable, Sendable, Equatable {
        /// The job array of the validation units (nil when none was missing).
        public var validationJob: String?
        /// The validation units in that array.
        public var units: [Int]
        /// The dependent selection + test job.
        public var selectionJob: String?
        /// When it was submitted (ISO 8601).
        public var date: String
    }

    public init(fingerprint: String, result: String, units: [SweepUnit], command: [String], directory: String) {
        self.fingerprint = fingerprint
        self.result = result
        self.units = units
        self.command = command
        self.directory = directory
    }

    /// The selection unit's index.
    public var selectionIndex: Int { units.count - 1 }

    /// The plan at `url`, or `nil` when there is none.
    /// - Throws: ``ExperimentError/sweep(_:)`` for a file that is not a plan.
    public static func read(_ url: URL) throws -> SweepPlan? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(SweepPlan.self, from: data) } catch {
            throw ExperimentError.sweep("The sweep plan \(url.path) cannot be read (\(error)); remove its folder to plan the sweep again.")
        }
    }

    /// Writes the plan atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        try ExperimentRunner.writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: url)
    }
}
