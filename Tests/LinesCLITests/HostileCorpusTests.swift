import Foundation
import Testing
import TestSupport

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// One case of `Tests/Fixtures/hostile/cases.json` (written by `Scripts/fixtures/hostile_fixtures.py`).
struct HostileCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var args: [String]
    var status: Int32
    var error: String
    var unchanged: [String]?
    var absent: [String]?
    var no_raw_controls: Bool?
    var testDescription: String { name }

    static let all: [HostileCase] = {
        guard let data = try? Data(contentsOf: fixtures.appendingPathComponent("hostile/cases.json")),
              let cases = try? JSONDecoder().decode([HostileCase].self, from: data) else { return [] }
        return cases
    }()
}

/// The hostile corpus, case by case: the command's exit status and the words of its error, no
/// input changed, no output appeared, no temporary file left, nothing crashed.
@Suite("the hostile corpus")
struct HostileCorpusTests {
    @Test("the corpus is there")
    func loaded() { #expect(HostileCase.all.count >= 20) }

    @Test("each case is refused as it should be", arguments: HostileCase.all)
    func hostile(_ c: HostileCase) throws {
        guard let lines = linesExecutable() else { Issue.record("the lines executable is not next to the test bundle"); return }
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-hostile-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: fixtures.appendingPathComponent("hostile"), to: dir)
        #expect(mkfifo(dir.appendingPathComponent("fifo.safetensors").path, 0o600) == 0)
        func snapshot() -> [String: Data] {
            var files: [String: Data] = [:]
            for case let name as String in fm.enumerator(atPath: dir.path) ?? FileManager.DirectoryEnumerator() where name != "fifo.safetensors" {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir), !isDir.boolValue {
                    files[name] = fm.contents(atPath: dir.appendingPathComponent(name).path)
                }
            }
            return files
        }
        let before = snapshot()
        let args = c.args.map { $0.replacingOccurrences(of: "{dir}", with: dir.path).replacingOccurrences(of: "{fixtures}", with: fixtures.path) }
        let r = try LinesProcess.run(lines, args)
        #expect(r.status == c.status, "\(r.stderr)")
        if c.status != 0 {
            // Progress may come first; the error is the last line, one sentence.
            let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("Error: "), "\(r.stderr)")
            #expect(last.contains(c.error), "expected the error to say '\(c.error)'; it said: \(r.stderr)")
        }
        if c.no_raw_controls == true {
            #expect(!(r.stdout + r.stderr).unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x202E },
                    "raw control characters in \(r.stdout.debugDescription)")
        }
        let after = snapshot()
        // Every file of the corpus is as it was (the named inputs in particular), and nothing new appeared.
        for name in c.unchanged ?? [] { #expect(after[name] != nil && after[name] == before[name], "\(name) changed") }
        #expect(after == before, "files changed or appeared: \(Set(after.keys).symmetricDifference(before.keys).sorted())")
        for name in c.absent ?? [] { #expect(!fm.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) was written") }
        #expect(!(fm.enumerator(atPath: dir.path)?.compactMap { $0 as? String }.contains { $0.contains(".lines-") } ?? false))
    }
}
