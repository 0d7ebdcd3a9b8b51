import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

/// Bad input is refused with one clear sentence, before anything is written.
@Suite("bad input")
struct BadInputTests {
    func folderIsEmpty(_ dir: URL, except: Set<String>) throws -> Bool {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)).subtracting(except).isEmpty
    }

    @Test("an output that is one of the inputs (by any name) is refused and the input is kept", arguments: ["p", "t"])
    func outputIsInput(which: String) throws {
        let dir = try temporaryFolder("merge")
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["a": [0, 0]])
        let t = try writeModel(dir.appendingPathComponent("t.safetensors"), ["a": [1, 2]])
        let target = which == "p" ? p : t
        let link = dir.appendingPathComponent("link.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let before = try Data(contentsOf: target)
        let inputs = try MergeInputs(pretrained: p, finetuned: [TaskCheckpoint(name: "t", url: t)])
        for out in [target, link] {
            #expect(throws: CheckpointError.self) { _ = try Merger.merge(inputs, options: MergeOptions(method: .sum), to: out) }
        }
        #expect(try Data(contentsOf: target) == before)
        #expect(try folderIsEmpty(dir, except: ["p.safetensors", "t.safetensors", "link.safetensors"]))
    }

    @Test("non-finite LiNeS α, β, coefficients and TALL λ are refused before anything is read")
    func nonFinite() throws {
        let dir = try temporaryFolder("merge")
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["blocks.0.w": [0, 0], "blocks.1.w": [0]])
        let t = try writeModel(dir.appendingPathComponent("t.safetensors"), ["blocks.0.w": [1, 2], "blocks.1.w": [3]])
        let inputs = try MergeInputs(pretrained: p, finetuned: [TaskCheckpoint(name: "t", url: t)])
        let out = dir.appendingPathComponent("o.safetensors")
        var cases: [MergeOptions] = []
        for v in [Double.nan, .infinity, -.infinity] {
            var a = MergeOptions(method: .sum); a.lines = (alpha: nil, beta: v); cases.append(a)
            var b = MergeOptions(method: .sum); b.lines = (alpha: v, beta: 0.5); cases.append(b)
            var c = MergeOptions(method: .sum); c.coefficient = v; cases.append(c)
            var d = MergeOptions(method: .consensus); d.tallLambdas = [v]; cases.append(d)
        }
        for o in cases {
            #expect(throws: MergeError.self) { _ = try Merger.merge(inputs, options: o, to: out) }
        }
        #expect(throws: MergeError.self) { _ = try Merger.tallMasks(inputs, lambdas: [.nan], useTies: false) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        // A negative coefficient negates the task vector: θ0 − 0.5·τ.
        var negate = MergeOptions(method: .sum)
        negate.coefficient = -0.5
        _ = try Merger.merge(inputs, options: negate, to: out)
        #expect(try SafetensorsFile(url: out).readFloat("blocks.0.w").scalars == [-0.5, -1])
    }

    @Test("mismatched keys, shapes and dtypes name the key and both files")
    func mismatches() throws {
        let dir = try temporaryFolder("merge")
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["a": [0, 0], "b": [0]])
        let extra = try writeModel(dir.appendingPathComponent("extra.safetensors"), ["a": [1, 1], "b": [1], "c": [1]])
        let missing = try writeModel(dir.appendingPathComponent("missing.safetensors"), ["a": [1, 1]])
        let shape = try writeModel(dir.appendingPathComponent("shape.safetensors"), ["a": [1, 1, 1], "b": [1]])
        let dtype = try writeModel(dir.appendingPathComponent("dtype.safetensors"), ["a": [1, 1], "b": [1]], dtype: .f16)
        func open(_ u: URL) throws { _ = try MergeInputs(pretrained: p, finetuned: [TaskCheckpoint(name: "x", url: u)]) }
        #expect(throws: MergeError.missingKey(key: "c", presentIn: extra.path, missingFrom: p.path)) { try open(extra) }
        #expect(throws: MergeError.missingKey(key: "b", presentIn: p.path, missingFrom: missing.path)) { try open(missing) }
        #expect(throws: MergeError.shapeMismatch(key: "a", expected: [2], found: [3], reference: p.path, file: shape.path)) { try open(shape) }
        #expect(throws: MergeError.dtypeMismatch(key: "a", expected: "F32", found: "F16", reference: p.path, file: dtype.path)) { try open(dtype) }
        let message = MergeError.shapeMismatch(key: "a", expected: [2], found: [3], reference: p.path, file: shape.path).description
        #expect(message.contains("'a'") && message.contains(shape.path) && message.contains(p.path))
    }

    @Test("--k outside (0, 100] is refused and nothing is written", arguments: [0.0, -5, 100.5, .nan])
    func badK(k: Double) throws {
        let dir = try temporaryFolder("merge")
        var options = MergeOptions(method: .ties)
        options.k = k
        #expect(throws: MergeError.self) { try Merger.merge(try fixtureInputs(), options: options, to: dir.appendingPathComponent("o.safetensors")) }
        #expect(try folderIsEmpty(dir, except: []))
    }

    @Test("a mask file for other tasks or another model size is refused and nothing is written")
    func badMasks() throws {
        let dir = try temporaryFolder("merge")
        let out = dir.appendingPathComponent("o.safetensors")
        var options = MergeOptions(method: .consensus)
        let ref = try TallMasks.read(expected("tall_masks.safetensors"))
        options.masks = TallMasks(tasks: ["Cars", "DTD", "MNIST", "SVHN"], packed: ref.packed)
        #expect(throws: MergeError.maskTasksMismatch(file: "the given mask file", expected: fixtureTaskNames, found: ["Cars", "DTD", "MNIST", "SVHN"])) {
            try Merger.merge(try fixtureInputs(), options: options, to: out)
        }
        options.masks = TallMasks(tasks: ref.tasks, packed: ref.packed.map { Array($0.dropLast()) })
        #expect(throws: MergeError.self) { try Merger.merge(try fixtureInputs(), options: options, to: out) }
        do {
            _ = try Merger.merge(try fixtureInputs(), options: options, to: out)
        } catch let e as MergeError {
            #expect(e.description.contains("another model size"))
        }
        options.masks = nil
        #expect(try folderIsEmpty(dir, except: []))
    }

    @Test("a failure while writing leaves nothing at the destination")
    func atomicOnFailure() throws {
        let dir = try temporaryFolder("merge")
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["a": [0, 0], "model.layers.0.w": [0]])
        let t = try writeModel(dir.appendingPathComponent("t.safetensors"), ["a": [1, 1], "model.layers.0.w": [1]])
        // The task reader fails on the second key (in flattening order), after the first was written.
        let inputs = try MergeInputs(pretrained: try SafetensorsFile(url: p),
                                     finetuned: [(name: "t", reader: FailingReader(try SafetensorsFile(url: t), failOn: "model.layers.0.w"))])
        var options = MergeOptions(method: .sum)
        options.lines = (nil, 1)
        #expect(throws: (any Error).self) { try Merger.merge(inputs, options: options, to: dir.appendingPathComponent("o.safetensors")) }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o.safetensors").path))
        #expect(try folderIsEmpty(dir, except: ["p.safetensors", "t.safetensors"]))
    }

    @Test("LiNeS without residual blocks asks for --layer-pattern")
    func noBlocks() throws {
        let dir = try temporaryFolder("merge")
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), ["a": [0]])
        let t = try writeModel(dir.appendingPathComponent("t.safetensors"), ["a": [1]])
        let inputs = try MergeInputs(pretrained: p, finetuned: [TaskCheckpoint(name: "t", url: t)])
        #expect(throws: MergeError.noResidualBlocks(pattern: nil)) {
            try Merger.edit(inputs, schedule: (0.1, 0.9), to: dir.appendingPathComponent("o.safetensors"))
        }
        #expect(throws: MergeError.noResidualBlocks(pattern: #"blk(\d+)"#)) {
            try Merger.edit(inputs, schedule: (0.1, 0.9), layerPattern: #"blk(\d+)"#, to: dir.appendingPathComponent("o.safetensors"))
        }
    }
}

/// A reader that fails on one tensor, to test that a failed merge leaves nothing behind.
final class FailingReader: CheckpointReader, @unchecked Sendable {
    let inner: SafetensorsFile
    let failOn: String
    init(_ inner: SafetensorsFile, failOn: String) { self.inner = inner; self.failOn = failOn }
    var url: URL { inner.url }
    var format: CheckpointFormat { inner.format }
    var tensors: [TensorInfo] { inner.tensors }
    var metadata: [String: String] { [:] }
    func read(_ name: String) throws -> StoredTensor {
        if name == failOn { throw CheckpointError.io(path: url.path, reason: "simulated read failure") }
        return try inner.read(name)
    }
}
