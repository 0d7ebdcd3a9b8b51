// Hostile fixtures: `python3 Scripts/fixtures/torch_fixtures.py` (torch 2.15) writes them by
// replacing `data.pkl` in a real archive.
import Foundation
import Testing
@testable import Checkpoints

@Suite("SafeUnpickler")
struct SafeUnpicklerTests {
    func unpickle(_ bytes: [UInt8]) throws -> PickleValue {
        try SafeUnpickler(path: "test.pkl").load(bytes)
    }

    /// The CheckpointError a throwing call raised, or `nil`.
    func error(_ body: () throws -> Void) -> CheckpointError? {
        do { try body(); return nil } catch { return error as? CheckpointError }
    }

    @Test func osSystemIsRefusedAtItsGlobal() {
        let e = error { _ = try TorchCheckpoint(url: torchFixture("hostile_os_system.pt")) }
        guard case .unsafePickle(let path, let offset, let opcode, let detail)? = e else {
            Issue.record("expected unsafePickle, got \(String(describing: e))"); return
        }
        #expect(path.hasSuffix("hostile_os_system.pt [hostile_os_system/data.pkl]"))
        #expect(offset == 2)
        #expect(opcode == "GLOBAL")
        #expect(detail.contains("'os system'"))
        #expect(e?.description.contains("refused pickle opcode GLOBAL at byte 2: global 'os system' is not on the allow-list") == true)
    }

    @Test func builtinsEvalIsRefusedAtStackGlobal() {
        let e = error { _ = try Checkpoint.open(torchFixture("hostile_eval.pt")) }
        guard case .unsafePickle(_, let offset, let opcode, let detail)? = e else {
            Issue.record("expected unsafePickle, got \(String(describing: e))"); return
        }
        #expect(opcode == "STACK_GLOBAL")
        #expect(detail.contains("'builtins eval'"))
        #expect(offset > 2)
    }

    @Test func deepMarkNestingIsCapped() {
        let e = error { _ = try TorchCheckpoint(url: torchFixture("hostile_deep.pt")) }
        guard case .malformedPickle(_, let offset, let reason)? = e else {
            Issue.record("expected malformedPickle, got \(String(describing: e))"); return
        }
        #expect(reason.contains("MARK nesting deeper than 4096"))
        #expect(offset == 2 + 2 * 4096)
    }

    @Test func deepListNestingIsCappedWithoutCrashing() {
        let e = error { _ = try TorchCheckpoint(url: torchFixture("hostile_deep_lists.pt")) }
        guard case .malformedPickle(_, _, let reason)? = e else {
            Issue.record("expected malformedPickle, got \(String(describing: e))"); return
        }
        #expect(reason.contains("nested deeper than 256"))
    }

    @Test func posixSystemViaReduceIsRefused() {
        // pickle.dumps of an object whose __reduce__ is (os.system, ('id',)) on Linux.
        let bytes: [UInt8] = [0x80, 0x02] + Array("cposix\nsystem\n".utf8) + [0x71, 0x00, 0x58, 2, 0, 0, 0]
            + Array("id".utf8) + [0x71, 0x01, 0x85, 0x71, 0x02, 0x52, 0x71, 0x03, 0x2E]
        let e = error { _ = try unpickle(bytes) }
        #expect(e == .unsafePickle(path: "test.pkl", offset: 2, opcode: "GLOBAL",
                                   detail: "global 'posix system' is not on the allow-list (torch tensor/storage rebuilding, collections.OrderedDict, set, _codecs.encode, numpy arrays, and torch.nn/open_clip/src/__main__ module classes as inert objects)"))
    }

    @Test func subprocessPopenIsRefused() {
        let bytes: [UInt8] = [0x80, 0x02] + Array("csubprocess\nPopen\n.".utf8)
        guard case .unsafePickle(_, 2, "GLOBAL", let d)? = error({ _ = try unpickle(bytes) }) else {
            Issue.record("subprocess.Popen was not refused"); return
        }
        #expect(d.contains("'subprocess Popen'"))
    }

    @Test func opcodesOutsideTheListAreRefusedByName() {
        // INST (protocol 0) would call a class.
        let e = error { _ = try unpickle([0x80, 0x02] + Array("ios\nsystem\n.".utf8)) }
        #expect(e == .unsafePickle(path: "test.pkl", offset: 2, opcode: "INST", detail: "opcode INST is not used by torch.save or np.save"))
        let e2 = error { _ = try unpickle([0x80, 0x02, 0x8F, 0x2E]) }  // EMPTY_SET
        guard case .unsafePickle(_, 2, "EMPTY_SET", _)? = e2 else { Issue.record("EMPTY_SET accepted"); return }
    }

    @Test func reduceOnlyOnAllowedCallables() {
        // An inert class may be REDUCE'd (kept as an object); a storage type may not be called.
        let ok = try? unpickle([0x80, 0x02] + Array("ctorch.nn.modules.linear\nLinear\n)R.".utf8))
        #expect(ok?.object?.type == PickleGlobal(module: "torch.nn.modules.linear", name: "Linear"))
        let e = error { _ = try unpickle([0x80, 0x02] + Array("ctorch\nFloatStorage\n)R.".utf8)) }
        guard case .malformedPickle(_, _, let r)? = e else { Issue.record("storage call accepted"); return }
        #expect(r.contains("cannot be called"))
    }

    @Test func scalarsContainersAndMemo() throws {
        // {'a': [1, -2, 300, 1.5, True, None, b'\x01'], 'b': (big LONG1), 'a2': memo of the list}
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28]                 // PROTO 2, EMPTY_DICT, MARK
        p += [0x58, 1, 0, 0, 0] + Array("a".utf8)                    // BINUNICODE 'a'
        p += [0x5D, 0x71, 0x00, 0x28]                                // EMPTY_LIST, BINPUT 0, MARK
        p += [0x4B, 1, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x4D, 0x2C, 0x01] // BININT1 1, BININT -2, BININT2 300
        p += [0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0]                    // BINFLOAT 1.5
        p += [0x88, 0x4E, 0x43, 1, 1, 0x65]                          // NEWTRUE, NONE, SHORT_BINBYTES, APPENDS
        p += [0x8C, 1] + Array("b".utf8)                             // SHORT_BINUNICODE 'b'
        p += [0x8A, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1]                    // LONG1 2**64
        p += [0x8C, 2] + Array("a2".utf8) + [0x68, 0x00]             // 'a2', BINGET 0
        p += [0x8C, 1] + Array("c".utf8) + [0x8A, 2, 0x00, 0xFF]     // 'c', LONG1 -256
        p += [0x75, 0x2E]                                            // SETITEMS, STOP
        let v = try unpickle(p)
        let list: PickleValue = .list([.int(1), .int(-2), .int(300), .float(1.5), .bool(true), .none, .bytes([1])])
        #expect(v["a"] == list)
        #expect(v["a2"] == list)  // the memo shares the list mutated after BINPUT
        #expect(v["b"] == .bigInt([0, 0, 0, 0, 0, 0, 0, 0, 1]))
        #expect(v["c"] == .int(-256))
    }

    @Test func cyclesAreRefused() {
        // l = []; l.append(l)
        let e = error { _ = try unpickle([0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]) }
        guard case .malformedPickle(_, _, let r)? = e else { Issue.record("cycle accepted: \(String(describing: e))"); return }
        #expect(r.contains("contains itself"))
    }

    @Test func truncatedAndUnderflowingStreamsThrow() {
        #expect(error { _ = try unpickle([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]) } != nil)  // BINUNICODE past the end
        #expect(error { _ = try unpickle([0x80, 0x02, 0x61, 0x2E]) } != nil)                     // APPEND on empty stack
        #expect(error { _ = try unpickle([0x80, 0x02, 0x68, 0x05, 0x2E]) } != nil)               // BINGET of a missing memo
        #expect(error { _ = try unpickle([0x80, 0x02, 0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) } != nil) // FRAME too long
        #expect(error { _ = try unpickle([0x80, 0x02, 0x5D]) } != nil)                           // no STOP
        #expect(error { _ = try unpickle([0xFF]) } != nil)                                       // unknown opcode
        #expect(error { _ = try unpickle([]) } != nil)
    }

    @Test func everyTruncationOfARealPickleThrowsWithoutCrashing() throws {
        let archive = try TorchArchive(url: torchFixture("head_module.pt"))
        guard let entry = archive.zip.entry("head_module/data.pkl") else { Issue.record("no data.pkl"); return }
        let bytes = [UInt8](try archive.zip.data(entry))
        for n in 0..<bytes.count {
            #expect(throws: CheckpointError.self) { try unpickle(Array(bytes[..<n])) }
        }
        #expect(try unpickle(bytes).object != nil)
    }

    @Test func randomlyCorruptedArchivesNeverCrash() throws {
        // Deterministic byte flips over real archives (pickle, headers and data); each open and
        // read must either succeed or throw a CheckpointError.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: seed >> 33)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["views", "head_module", "protocol4", "tall_masks_torch"] {
            let original = [UInt8](try Data(contentsOf: torchFixture("\(name).pt")))
            for trial in 0..<60 {
                var bytes = original
                for _ in 0..<(1 + trial % 4) {
                    // Bias towards the pickle, which sits right after the first local header.
                    let at = trial % 2 == 0 ? 64 + next() % min(bytes.count - 64, 700) : next() % bytes.count
                    bytes[at] = UInt8(truncatingIfNeeded: next())
                }
                let url = dir.appendingPathComponent("\(name)-\(trial).pt")
                try Data(bytes).write(to: url)
                do {
                    let ckpt = try TorchCheckpoint(url: url)
                    for info in ckpt.tensors { _ = try? ckpt.read(info.name) }
                } catch is CheckpointError {
                } catch {
                    Issue.record("\(name) trial \(trial): unexpected error type \(error)")
                }
                _ = try? TallMaskFile.read(url)
            }
        }
        let npy = [UInt8](try Data(contentsOf: torchFixture("tall_masks.npy")))
        for trial in 0..<200 {
            var bytes = npy
            for _ in 0..<(1 + trial % 3) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            if trial % 5 == 0 { bytes.removeLast(next() % bytes.count) }
            let url = dir.appendingPathComponent("masks-\(trial).npy")
            try Data(bytes).write(to: url)
            do { _ = try TallMaskFile.read(url) } catch is CheckpointError {} catch {
                Issue.record("masks trial \(trial): unexpected error type \(error)")
            }
        }
    }

    @Test func exponentiallySharedModulesAreCapped() throws {
        // m(i) = Module with _modules {'a': m(i-1), 'b': m(i-1)}: 2^60 paths through 61 objects.
        func str(_ s: String) -> [UInt8] { [0x8C, UInt8(s.utf8.count)] + Array(s.utf8) }
        func module(_ children: [UInt8]) -> [UInt8] {
            [0x68, 0x00, 0x29, 0x81, 0x7D, 0x28] + str("_parameters") + [0x7D] + str("_modules") + [0x7D] + children + [0x75, 0x62]
        }
        // The class stays at the bottom of the stack; STOP returns the top, m(60).
        var p: [UInt8] = [0x80, 0x02] + Array("ctorch.nn.modules.module\nModule\n".utf8) + [0x71, 0x00]
        p += module([]) + [0x71, 0x01]
        for i in 1...60 {
            p += module([0x28] + str("a") + [0x68, UInt8(i)] + str("b") + [0x68, UInt8(i), 0x75]) + [0x71, UInt8(i + 1)]
        }
        p += [0x2E]
        let root = try unpickle(p)
        var out: [(name: String, view: PickleTensor)] = []
        #expect(throws: CheckpointError.self) { try TorchCheckpoint.collect(root, path: "test.pkl", into: &out) }
    }

    @Test func opcodeNamesMatchPickletools() {
        #expect(PickleOpcode.binPersId.name == "BINPERSID")
        #expect(PickleOpcode(rawValue: 0x93)?.name == "STACK_GLOBAL")
        #expect(PickleOpcode.allCases.filter(\.isAccepted).count == 45)
    }
}

@Suite("SafeUnpickler: Python 2 strings")
struct SafeUnpicklerPython2StringTests {
    /// `pickle.dumps` of `{'k': '\xff\x00a'}` as Python 2 cPickle writes it (SHORT_BINSTRING).
    let pickle: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x01, 0x55, 0x01, 0x6B, 0x55, 0x03, 0xFF, 0x00, 0x61, 0x73, 0x2E]

    @Test("python2StringsAsBytes keeps the raw bytes (pickle.load(encoding='bytes')); the default reads UTF-8 text and refuses other bytes, as pickle.load's strict decoding does")
    func stringsAsBytes() throws {
        let bytes = try SafeUnpickler(path: "p2", python2StringsAsBytes: true).load(pickle)
        #expect(bytes == .dict([PicklePair(key: .bytes([0x6B]), value: .bytes([0xFF, 0x00, 0x61]))]))
        #expect {
            _ = try SafeUnpickler(path: "p2").load(pickle)
        } throws: { error in
            "\(error)".contains("byte 10 is not valid UTF-8")
        }
        var ascii = pickle
        ascii[10] = 0x78  // 'x\x00a': valid text
        let text = try SafeUnpickler(path: "p2").load(ascii)
        #expect(text.dict?.first?.key == .string("k"))
        #expect(text.dict?.first?.value == .string("x\u{0}a"))
    }

    @Test("two BINUNICODE keys that differ only in invalid UTF-8 are refused, not collapsed into one")
    func invalidUnicodeKeys() throws {
        // {'\xff': 1, '\xfe': 2} with raw (invalid) bytes in BINUNICODE: pickle.loads raises.
        let p: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0xFF, 0x4B, 0x01,
                          0x58, 0x01, 0x00, 0x00, 0x00, 0xFE, 0x4B, 0x02, 0x75, 0x2E]
        #expect(throws: CheckpointError.self) { _ = try SafeUnpickler(path: "u").load(p) }
    }
}
