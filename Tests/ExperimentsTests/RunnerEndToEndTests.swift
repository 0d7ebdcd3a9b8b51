import Checkpoints
import Experiments
import Foundation
import Merging
import Testing

/// Every method on the tiny fixture, against the results the fixture script computed with
/// PyTorch (reference merges, LiNeS, evaluation, metrics and selection), and against the results
/// files the reference's own `main.py` wrote on the same inputs, byte for byte.
@Suite("lines run end to end", .serialized)
struct RunnerEndToEndTests {
    func run(_ ws: Workspace, _ extra: [String]) throws -> RunOutcome {
        try ExperimentRunner(config: ws.config(extra)).run()
    }

    func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test("sum, ties, consensus (+LiNeS), zeroshot, tall_mask and single_task match the reference's files")
    func allMethods() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let cases: [(args: [String], expected: String, file: String)] = [
            ([], "sum", "merging_multi_task/tiny_4tasks_sum_k=100_merged__.json"),
            (["method.apply_lines=true"], "sum_lines", "merging_multi_task/tiny_4tasks_sum_k=100_merged__lines.json"),
            (["method=ties", "method.apply_lines=True"], "ties_lines", "merging_multi_task/tiny_4tasks_ties_k=20_merged__lines.json"),
            (["method=zeroshot"], "zeroshot_run", "merging_multi_task/tiny_4tasks_zeroshot_k=100_merged__.json"),
            (["method=tall_mask"], "tall_mask", "merging_multi_task/tiny_4tasks_tall_mask_k=100_merged_tall_mask_ta_.json"),
            (["method=consensus", "method.apply_lines=true"], "consensus_lines", "merging_multi_task/tiny_4tasks_consensus_k=100_merged_k_2_ta_lines.json"),
            (["method=single_task", "method.apply_lines=true"], "single_task_lines",
             "editing_single_task/tiny_4tasks_single_task_k=100_finetuned_on_0task__lines.json"),
        ]
        for c in cases {
            let outcome = try run(ws, c.args)
            #expect(outcome.resultURL.path == ws.root.appendingPathComponent("results/\(c.file)").path)
            #expect(try text(outcome.resultURL) == expectedResult(c.expected), "\(c.expected)")
            // The reference's code itself (wang-kee/LiNeS main.py, run by reference_run.py).
            #expect(try text(outcome.resultURL) == referenceResult(c.expected), "\(c.expected) vs the reference's main.py")
            #expect(try text(outcome.logCopyURL) == expectedResult(c.expected))
            #expect(FileManager.default.fileExists(atPath: outcome.csvURL.path))
        }
        // The baselines it computed (no reference JSON was there) are the fixture's.
        let f = try facts()
        let ft = try JSONSerialization.jsonObject(with: Data(contentsOf: ws.root.appendingPathComponent("results/single_task/tiny/nonlinear_ft_accuracies.json"))) as? [String: Double]
        #expect(ft == f["finetuned"] as? [String: Double])
        // The TALL masks saved for consensus are the reference's, bit for bit.
        let masks = try TallMasks.read(ws.root.appendingPathComponent("tall_masks/tiny/TALL_mask_4task.npy"))
        let sha = f["tall_mask_packed_sha256"] as? [String: String] ?? [:]
        for (task, packed) in zip(masks.tasks, masks.packed) {
            #expect(SHA256.hex(packed) == sha[task], "\(task)")
        }
    }

    @Test("an unwritable results_location is refused before any model is loaded, naming the key")
    func unwritableResults() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let blocker = ws.root.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: blocker)
        let runner = try ExperimentRunner(config: ws.config(["results_location=\(blocker.path)/results"]))
        #expect {
            _ = try runner.run()
        } throws: { error in
            "\(error)".contains("results_location") && "\(error)".contains(blocker.path)
        }
        #expect(!FileManager.default.fileExists(atPath: ws.root.appendingPathComponent("logs/.journal").path))
    }

    @Test("reference baseline files are used as they are")
    func referenceBaselines() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        // Doctored fine-tuned accuracies: normalised values must follow them, and no fine-tuned
        // model outside the merge is evaluated.
        let folder = ws.root.appendingPathComponent("results/single_task/tiny")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var doctored: [String: Double] = [:]
        for t in ["EuroSAT", "GTSRB", "CIFAR10", "KMNIST"] { doctored[t] = 0.5; doctored[t + "Val"] = 0.5 }
        try JSONSerialization.data(withJSONObject: doctored).write(to: folder.appendingPathComponent("nonlinear_ft_accuracies.json"))
        let outcome = try run(ws, ["method=zeroshot"])
        guard case let .number(acc)? = outcome.document["test"]?["EuroSAT:top1"],
              case let .number(norm)? = outcome.document["test"]?["EuroSAT:normalized_top1"] else {
            Issue.record("missing keys"); return
        }
        #expect(norm == acc / 0.5)
    }
}

/// SHA-256, for comparing mask bytes with the fixture's hashes (no CryptoKit on Linux).
enum SHA256 {
    static func hex(_ bytes: [UInt8]) -> String {
        var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
        let k: [UInt32] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
            0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
            0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
            0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
            0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
            0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]
        var msg = bytes
        let bitLength = UInt64(bytes.count) * 8
        msg.append(0x80)
        while msg.count % 64 != 56 { msg.append(0) }
        for i in (0..<8).reversed() { msg.append(UInt8((bitLength >> (UInt64(i) * 8)) & 0xff)) }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: msg.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(0) { ($0 << 8) | UInt32(msg[chunk + 4 * i + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e, h[5] &+ f, h[6] &+ g, h[7] &+ hh]
        }
        return h.map { String(format: "%08x", $0) }.joined()
    }
}

/// The methods the reference does not have, run by `lines run` on the same fixture: results in
/// the reference's JSON shape, the authors' α grid for the SVD methods, the selection consistent
/// with the validation scores.
@Suite("lines run: TSV-M, Iso-C, Iso-CTS, DARE, Breadcrumbs", .serialized)
struct RunnerNewMethodsTests {
    @Test("each method ± LiNeS writes a results file shaped as sum's, over its grid")
    func newMethods() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        let reference = try ExperimentRunner(config: ws.config([])).run()
        guard case let .object(refTop) = reference.document, case let .object(refTest)? = reference.document["test"] else {
            Issue.record("sum's document is not an object"); return
        }
        let cases: [(args: [String], file: String, grid: Int)] = [
            (["method=tsv"], "tiny_4tasks_tsv_k=100_merged__.json", 30),
            (["method=iso_c", "method.apply_lines=true"], "tiny_4tasks_iso_c_k=100_merged__lines.json", 30),
            (["method=iso_cts", "method.common_space_fraction=0.5"], "tiny_4tasks_iso_cts_k=100_f=0.5_merged__.json", 30),
            (["method=dare", "method.drop_rate=0.3", "method.apply_lines=true"], "tiny_4tasks_dare_p=0.3_seed=0_merged__lines.json", 10),
            (["method=breadcrumbs"], "tiny_4tasks_breadcrumbs_density=0.9_gamma=0.01_merged__.json", 10),
        ]
        for c in cases {
            let outcome = try ExperimentRunner(config: ws.config(c.args)).run()
            #expect(outcome.resultURL.lastPathComponent == c.file)
            guard case let .object(top) = outcome.document, case let .object(val)? = outcome.document["val"],
                  case let .object(test)? = outcome.document["test"] else {
                Issue.record("\(c.args): not the reference's shape"); continue
            }
            #expect(top.map(\.key) == refTop.map(\.key), "\(c.args)")
            #expect(test.map(\.key) == refTest.map(\.key), "\(c.args)")
            #expect(val.count == c.grid, "\(c.args): \(val.count) coefficients")
            if c.grid == 30 { #expect(val.first?.key == "0.1" && val.last?.key == "3.0") }
            // val_best is the first strict maximum of avg_normalized_top1 over the grid.
            var best: (Double, Int) = (-1, -1)
            for (i, e) in val.enumerated() {
                if case let .number(v)? = e.value["avg_normalized_top1"], v > best.0 { best = (v, i) }
            }
            #expect(outcome.document["val_best"] == val[best.1].value, "\(c.args)")
            let text = try String(contentsOf: outcome.resultURL, encoding: .utf8)
            #expect(text.contains("\"avg_normalized_top1\""))
        }
    }

    @Test("out-of-range method keys are refused by name")
    func badKeys() throws {
        let ws = try Workspace()
        defer { ws.cleanup() }
        for (args, key) in [(["method=dare", "method.drop_rate=1.0"], "method.drop_rate"),
                            (["method=iso_cts", "method.common_space_fraction=2"], "method.common_space_fraction"),
                            (["method=breadcrumbs", "method.density=0.99", "method.gamma=0.05"], "method.gamma")] {
            #expect { _ = try ws.config(args) } throws: { "\($0)".contains(key) }
        }
    }
}
