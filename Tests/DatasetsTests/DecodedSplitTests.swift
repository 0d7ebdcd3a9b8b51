import Foundation
import Testing
@testable import Datasets

@Suite("Decode once")
struct DecodedSplitTests {
    @Test("a decoded split equals decoding each sample, in order, for any worker count", arguments: [1, 3, 16])
    func sameAsLazy(_ threads: Int) throws {
        let data = try TaskLoader.load(.resisc45, dataLocation: datasetRoot)
        let decoded = try DecodedSplit(data, split: .test, threads: threads)
        let samples = data.samples(.test)
        #expect(decoded.labels == samples.map(\.label))
        #expect(decoded.images == (try samples.map { try $0.decode() }))
    }

    @Test("an unreadable image fails the split, naming the file (nothing is dropped)")
    func unreadable() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-decoded-\(getpid())")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: datasetRoot.appendingPathComponent("dtd"), to: dir.appendingPathComponent("dtd"))
        let bad = dir.appendingPathComponent("dtd/val/blotchy/blotchy_0009.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).write(to: bad)
        let data = try TaskLoader.load(.dtd, dataLocation: dir)
        do {
            _ = try DecodedSplit(data, split: .test, threads: 2)
            Issue.record("expected an error")
        } catch let error as ImageError {
            #expect(error.file == bad.path)
        }
    }
}
