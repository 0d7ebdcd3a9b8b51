import Foundation
import Testing
@testable import Merging

@Suite("YAML from hostile files: complex keys, alias bombs")
struct SafeYAMLTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/yaml")

    @Test("a key that is a list or a mapping is refused naming its line (Yams' loader traps on it)")
    func complexKey() throws {
        #expect(throws: SafeYAML.Problem.complexKey(line: 2)) { try SafeYAML.load("merge_method: linear\n? [a, b]\n: c\n") }
        #expect(throws: SafeYAML.Problem.self) { try SafeYAML.load("{? {x: 1}: 2}") }
        #expect(throws: SafeYAML.Problem.sexagesimal(line: 1, text: "66:2:2:0:2:22:0:2:2:02:0:02:0")) { try SafeYAML.load("66:2:2:0:2:22:0:2:2:02:0:02:0") }
        #expect(try SafeYAML.load("t: '1:30'\nu: 90") as? [String: AnyHashable] == ["t": "1:30", "u": 90])
    }

    @Test("aliases that expand to more than a million values are refused; ordinary anchors and aliases load")
    func aliasBomb() throws {
        var text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...7 { text += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(text.utf8.count < 600)
        #expect(throws: SafeYAML.Problem.tooLarge(limit: SafeYAML.maxValues)) { try SafeYAML.load(text) }
        let ok = try SafeYAML.load("base: &b {weight: 0.5}\nother: *b\n") as? [String: Any]
        #expect((ok?["other"] as? [String: Any])?["weight"] as? Double == 0.5)
    }

    @Test("the inputs the fuzzer found crashing are one-sentence config errors", arguments: (try? FileManager.default.contentsOfDirectory(atPath: fuzz.path).sorted()) ?? [])
    func fuzzerFindings(_ name: String) throws {
        let text = String(decoding: try Data(contentsOf: Self.fuzz.appendingPathComponent(name)), as: UTF8.self)
        #expect(throws: MergeError.self) { try MergekitConfig(yaml: text, file: name) }
    }
}
