import Checkpoints
import Foundation
import Testing
@testable import Experiments

@Suite("baseline accuracies files")
struct BaselineAccuraciesTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-baselines-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("the reference's 17-digit accuracies are read as Python reads them (no NSDecimalNumber rounding)")
    func exact() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nonlinear_ft_accuracies.json")
        // Values from the reference's results/single_task/ViT-B-32/nonlinear_ft_accuracies.json style.
        let texts = ["DTDVal": "0.10465116279069768", "MNIST": "0.9969", "GTSRBVal": "0.9883720930232558", "SUN397": "0.7538287153652393"]
        let body = texts.sorted { $0.key < $1.key }.map { "    \"\($0.key)\": \($0.value)" }.joined(separator: ",\n")
        try Data("{\n\(body)\n}".utf8).write(to: url)
        let b = try BaselineAccuracies(kind: .finetuned, candidates: [url])
        for (k, t) in texts { #expect(b[k]?.bitPattern == Double(t)!.bitPattern, "\(k)") }

        let zs = dir.appendingPathComponent("zs.json")
        try Data(#"{"test": {"DTD:top1": 0.5}, "val_best": {"DTDVal:top1": 0.10465116279069768, "avg_top1": 0.3}}"#.utf8).write(to: zs)
        let z = try BaselineAccuracies(kind: .zeroshot, candidates: [zs])
        #expect(z["DTDVal"]?.bitPattern == Double("0.10465116279069768")!.bitPattern)
        #expect(z["avg"] == nil)
    }

    @Test("the reference's own ViT-B-32 baseline files read to the bits Python's json.load gives (Foundation's JSONSerialization misses 26 of the 80)")
    func referenceFiles() throws {
        let dir = runnerFixtures.appendingPathComponent("reference/baselines")
        let bits = try JSONValue(contentsOf: dir.appendingPathComponent("python_bits.json"))
        let ft = try BaselineAccuracies(kind: .finetuned, candidates: [dir.appendingPathComponent("ViT-B-32_nonlinear_ft_accuracies.json")])
        let zs = try BaselineAccuracies(kind: .zeroshot, candidates: [dir.appendingPathComponent("ViT-B-32_20tasks_zeroshot.json")])
        var checked = 0
        for (kind, table) in [("finetuned", ft), ("zeroshot", zs)] {
            for (name, hex) in bits[kind]?.object ?? [] {
                let want = UInt64(hex.string ?? "", radix: 16)
                #expect(table[name]?.bitPattern == want, "\(kind) \(name)")
                checked += 1
            }
        }
        #expect(checked == 80)
    }

    @Test("recording keeps the file's keys in order and writes numbers as Python's repr")
    func record() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nonlinear_ft_accuracies.json")
        try Data(#"{"SVHN": 0.97, "DTDVal": 0.10465116279069768, "count": 3}"#.utf8).write(to: url)
        var b = try BaselineAccuracies(kind: .finetuned, candidates: [url])
        try b.record("MNISTVal", 0.1 + 0.2)
        try b.record("SVHN", 0.5)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text == "{\n    \"SVHN\": 0.5,\n    \"DTDVal\": 0.10465116279069768,\n    \"count\": 3,\n    \"MNISTVal\": 0.30000000000000004\n}")
        let again = try BaselineAccuracies(kind: .finetuned, candidates: [url])
        #expect(again["MNISTVal"] == 0.1 + 0.2 && again["DTDVal"] == 0.10465116279069768)
    }
}
