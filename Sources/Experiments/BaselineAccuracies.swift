import Checkpoints
import Foundation

/// Accuracies that normalise the others (spec §3.3): the fine-tuned models' (`nonlinear_ft_accuracies.json`,
/// keys `MNISTVal`/`MNIST`) or the zero-shot model's (`*_20tasks_zeroshot.json["val_best"]`, keys
/// `MNISTVal:top1`/`MNIST:top1`).
///
/// Read from the reference's files when present; accuracies that are missing are computed by the
/// runner and written back (atomically, after each one) to the first candidate path, so later
/// runs reuse them.
public struct BaselineAccuracies: @unchecked Sendable {
    /// Fine-tuned or zero-shot.
    public enum Kind: Sendable { case finetuned, zeroshot }

    public let kind: Kind
    /// Where values are written.
    public let saveURL: URL
    /// The file they were read from, if any.
    public private(set) var source: URL?
    /// Accuracy by dataset name (`MNISTVal`, `MNIST`).
    public private(set) var values: [String: Double] = [:]
    private var document: [String: Any] = [:]

    /// Loads the first readable file among `candidates` (the first candidate is also where new
    /// values are saved).
    /// - Throws: ``ExperimentError/badConfigFile(path:reason:)`` when a file exists but is not the expected JSON.
    public init(kind: Kind, candidates: [URL]) throws {
        self.kind = kind
        saveURL = candidates[0]
        for url in candidates where FileManager.default.fileExists(atPath: url.path) {
            guard let data = FileManager.default.contents(atPath: url.path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ExperimentError.badConfigFile(path: url.path, reason: "not a JSON object")
            }
            source = url
            document = obj
            let table: [String: Any]
            switch kind {
            case .finetuned: table = obj
            case .zeroshot:
                guard let vb = obj["val_best"] as? [String: Any] else {
                    throw ExperimentError.badConfigFile(path: url.path, reason: "no \"val_best\" object")
                }
                table = vb
            }
            for (k, v) in table {
                guard let n = v as? NSNumber else { continue }
                let name = kind == .zeroshot ? (k.hasSuffix(":top1") ? String(k.dropLast(5)) : nil) : k
                if let name { values[name] = n.doubleValue }
            }
            break
        }
    }

    /// The accuracy of dataset `name`, if known.
    public subscript(name: String) -> Double? { values[name] }

    /// Records a computed accuracy and rewrites the file at ``saveURL``.
    public mutating func record(_ name: String, _ accuracy: Double) throws {
        values[name] = accuracy
        switch kind {
        case .finetuned:
            document[name] = accuracy
        case .zeroshot:
            var vb = document["val_best"] as? [String: Any] ?? [:]
            vb[name + ":top1"] = accuracy
            document["val_best"] = vb
        }
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(at: saveURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try AtomicFile(url: saveURL)
        try file.write(Array(data), at: 0)
        try file.commit()
        source = saveURL
    }
}
