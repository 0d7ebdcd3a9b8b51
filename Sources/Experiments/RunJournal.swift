import Checkpoints
import Foundation

/// Every finished evaluation of a run, persisted the moment it finishes, so that a run killed at
/// any point continues where it stopped and ends with the same results.
///
/// The journal is a JSON-lines file: a first line with the run's fingerprint (configuration and
/// input files), then one line per `(phase, label, task)` with the correct/total counts. Each
/// line is appended and fsync'ed; a torn last line (a kill mid-write) is ignored on reading.
/// A journal whose fingerprint differs from the run's is moved aside (`.stale`) and a new one begun.
public final class RunJournal: @unchecked Sendable {
    /// The journal file.
    public let url: URL
    private var entries: [String: SplitCounts] = [:]
    private let handle: FileHandle

    /// Correct and total counts of one evaluation.
    public struct SplitCounts: Sendable, Equatable {
        public var correct: Int
        public var count: Int
        public var top1: Double { count > 0 ? Double(correct) / Double(count) : 0 }
    }

    /// Opens (or starts) the journal at `url` for a run with `fingerprint`.
    /// - Parameter including: other journals (a sweep's unit journals) whose results are taken
    ///   as well, read-only, where their fingerprint is the same; others are left as they are.
    public init(url: URL, fingerprint: String, including: [URL] = []) throws {
        self.url = url
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var keep = false
        let existing = fm.contents(atPath: url.path)
        if let data = existing {
            if let found = Self.parse(data, fingerprint: fingerprint) {
                keep = true
                entries = found
            } else {
                let stale = url.appendingPathExtension("stale")
                try? fm.removeItem(at: stale)
                try? fm.moveItem(at: url, to: stale)
            }
        }
        if !keep {
            let header = try JSONSerialization.data(withJSONObject: ["fingerprint": fingerprint], options: [.sortedKeys])
            guard fm.createFile(atPath: url.path, contents: header + Data("\n".utf8)) else {
                throw CheckpointError.io(path: url.path, reason: "cannot create the run journal")
            }
        }
        guard let h = FileHandle(forWritingAtPath: url.path) else {
            throw CheckpointError.io(path: url.path, reason: "cannot open the run journal for writing")
        }
        handle = h
        // Cut a torn last line (a kill mid-append) so that the next record starts on a line of its own.
        if keep, let data = existing, data.last != UInt8(ascii: "\n"), let cut = data.lastIndex(of: UInt8(ascii: "\n")) {
            try handle.truncate(atOffset: UInt64(cut - data.startIndex + 1))
        }
        handle.seekToEndOfFile()
        for other in including where other.standardizedFileURL != url.standardizedFileURL {
            for (key, value) in Self.entries(at: other, fingerprint: fingerprint) ?? [:] where entries[key] == nil {
                entries[key] = value
            }
        }
    }

    /// The results of the journal at `url`, or `nil` when it is missing or was written for
    /// another fingerprint (a torn last line is ignored).
    public static func entries(at url: URL, fingerprint: String) -> [String: SplitCounts]? {
        FileManager.default.contents(atPath: url.path).flatMap { parse($0, fingerprint: fingerprint) }
    }

    /// A journal's results when its header carries `fingerprint` (unreadable lines, a torn last
    /// one included, are skipped).
    static func parse(_ data: Data, fingerprint: String) -> [String: SplitCounts]? {
        guard let text = String(data: data, encoding: .utf8) else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let header = lines.next(), let obj = object(header), obj["fingerprint"] as? String == fingerprint else { return nil }
        var found: [String: SplitCounts] = [:]
        while let line = lines.next() {
            guard let o = object(line), let key = o["key"] as? String,
                  let c = (o["correct"] as? NSNumber)?.intValue, let n = (o["count"] as? NSNumber)?.intValue else { continue }
            found[key] = SplitCounts(correct: c, count: n)
        }
        return found
    }

    deinit { try? handle.close() }

    /// How many results the journal holds.
    public var count: Int { entries.count }

    /// The stored result for `key`.
    public func result(_ key: String) -> SplitCounts? { entries[key] }

    /// Records a result and flushes it to disk before returning.
    public func record(_ key: String, correct: Int, count: Int) throws {
        entries[key] = SplitCounts(correct: correct, count: count)
        let line = try JSONSerialization.data(withJSONObject: ["key": key, "correct": correct, "count": count], options: [.sortedKeys])
        handle.write(line + Data("\n".utf8))
        try handle.synchronize()
    }

    /// The journal key of one evaluation.
    public static func key(phase: String, label: String, task: String) -> String { "\(phase)|\(label)|\(task)" }

    private static func object(_ line: Substring) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}
