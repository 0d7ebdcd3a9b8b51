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
    /// The file's whole object, keys in file order, rewritten with new values.
    private var document: [JSONEntry] = []

    /// Loads the first readable file among `candidates` (the first candidate is also where new
    /// values are saved). Numbers are read exactly as Python reads them (``JSONValue``).
    /// - Throws: ``ExperimentError/badConfigFile(path:reason:)`` when a file exists but is not the expected JSON.
    public init(kind: Kind, candidates: [URL]) throws {
        self.kind = kind
        saveURL = candidates[0]
        for url in candidates where FileManager.default.fileExists(atPath: url.path) {
            let root: JSONValue
            do { root = try JSONValue(contentsOf: url) } catch {
                throw ExperimentError.badConfigFile(path: url.path, reason: "\(error)")
            }
            guard case .object = root, case .object(let entries) = JSONDocument(root) else {
                throw ExperimentError.badConfigFile(path: url.path, reason: "not a JSON object")
            }
            source = url
            document = entries
            let table: [(key: String, value: JSONValue)]
            switch kind {
            case .finetuned: table = root.object ?? []
            case .zeroshot:
                guard let vb = root["val_best"]?.object else {
                    throw ExperimentError.badConfigFile(path: url.path, reason: "no \"val_best\" object")
                }
                table = vb
            }
            for (k, v) in table {
                guard let n = v.double else { continue }
                let name = kind == .zeroshot ? (k.hasSuffix(":top1") ? String(k.dropLast(5)) : nil) : k
                if let name { values[name] = n }
            }
            break
        }
    }

    /// The accuracy of dataset `name`, if known.
    public subscript(name: String) -> Double? { values[name] }

    /// Records a computed accuracy and rewrites the file at ``saveURL`` (as `json.dump(indent=4)`,
    /// the file's other keys kept in their order).
    public mutating func record(_ name: String, _ accuracy: Double) throws {
        values[name] = accuracy
        func set(_ key: String, _ value: JSONDocument, in entries: inout [JSONEntry]) {
            if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else { entries.append(JSONEntry(key, value)) }
        }
        switch kind {
        case .finetuned:
            set(name, .number(accuracy), in: &document)
        case .zeroshot:
            var vb: [JSONEntry] = []
            if case .object(let e)? = document.first(where: { $0.key == "val_best" })?.value { vb = e }
            set(name + ":top1", .number(accuracy), in: &vb)
            set("val_best", .object(vb), in: &document)
        }
        let data = Array(JSONDocument.object(document).rendered().utf8)
        try FileManager.default.createDirectory(at: saveURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try AtomicFile(url: saveURL)
        try file.write(data, at: 0)
        try file.commit()
        source = saveURL
    }
}
