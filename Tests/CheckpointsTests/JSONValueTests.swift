import Foundation
import Testing
@testable import Checkpoints

@Suite("JSON as Python reads it")
struct JSONValueTests {
    @Test("17-digit numbers are the doubles Python reads, to the last bit", arguments: [
        "0.10465116279069768", "0.30000000000000004", "0.7000000000000001", "0.38989547038327527",
        "1e-05", "2.2250738585072014e-308", "5e-324", "1.7976931348623157e+308", "-0.0", "123456789012345678",
    ])
    func exactNumbers(text: String) throws {
        let v = try JSONValue(parsing: Array("{\"a\": \(text)}".utf8), name: "t.json")
        let d = try #require(v["a"]?.double)
        #expect(d.bitPattern == Double(text)!.bitPattern)
        #expect(pythonReprRoundTrip(d) == Double(text)!)
    }

    func pythonReprRoundTrip(_ d: Double) -> Double { Double("\(d)")! }

    @Test("keys keep file order; a repeated key keeps its last value at its first place (as dict)")
    func order() throws {
        let v = try JSONValue(parsing: Array(#"{"z": 1, "a": [true, null, "x\u00e9\ud83d\ude00"], "z": 2.5, "m": {}}"#.utf8), name: "t.json")
        #expect(v.object?.map(\.key) == ["z", "a", "m"])
        #expect(v["z"]?.double == 2.5)
        #expect(v["a"] == .array([.bool(true), .null, .string("xé😀")]))
        #expect(v["m"] == .object([]))
    }

    @Test("NaN and ±Infinity as Python's json writes them")
    func nonFinite() throws {
        let v = try JSONValue(parsing: Array(#"[NaN, Infinity, -Infinity]"#.utf8), name: "t.json")
        let d = try #require(v.array).compactMap(\.double)
        #expect(d.count == 3 && d[0].isNaN && d[1] == .infinity && d[2] == -.infinity)
    }

    @Test("malformed documents name the line and column", arguments: [
        ("{\"a\": 1,\n \"b\" 2}", 2, 6), ("[1, 2", 1, 6), ("{\"a\": 01}", 1, 7), ("\"\\q\"", 1, 4), ("[1] x", 1, 5),
    ])
    func malformed(text: String, line: Int, column: Int) {
        #expect {
            _ = try JSONValue(parsing: Array(text.utf8), name: "bad.json")
        } throws: { error in
            guard let e = error as? JSONValue.ParseError else { return false }
            return e.file == "bad.json" && e.line == line && e.column == column
        }
    }

    @Test("deep nesting is refused, not a stack overflow")
    func deep() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValue.ParseError.self) { _ = try JSONValue(parsing: Array(text.utf8), name: "deep.json") }
    }
}
