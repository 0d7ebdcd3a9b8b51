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

@Suite("Decode cache on disk")
struct DecodeCacheTests {
    @Test("the second run reads the cache; changing a source file changes the key (no stale read)")
    func hitAndInvalidate() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("lines-cache-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try fm.copyItem(at: datasetRoot.appendingPathComponent("dtd"), to: dir.appendingPathComponent("data/dtd"))
        let cache = dir.appendingPathComponent("cache")
        let data = try TaskLoader.load(.dtd, dataLocation: dir.appendingPathComponent("data"))
        let first = try DecodeCache.load(data, split: .test, directory: cache)
        #expect(!first.hit)
        let second = try DecodeCache.load(data, split: .test, directory: cache)
        #expect(second.hit)
        #expect(second.split.images == first.split.images && second.split.labels == first.split.labels)
        #expect(first.split.images == (try data.samples(.test).map { try $0.decode() }))
        let before = DecodeCache.cacheURL(data, split: .test, directory: cache)

        let changed = dir.appendingPathComponent("data/dtd/val/banded/banded_0009.jpg")
        try fm.copyItem(at: dir.appendingPathComponent("data/dtd/val/blotchy/blotchy_0009.jpg"), to: changed.appendingPathExtension("new"))
        try fm.removeItem(at: changed)
        try fm.moveItem(at: changed.appendingPathExtension("new"), to: changed)
        try fm.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: changed.path)
        let reloaded = try TaskLoader.load(.dtd, dataLocation: dir.appendingPathComponent("data"))
        #expect(DecodeCache.cacheURL(reloaded, split: .test, directory: cache) != before)
        let third = try DecodeCache.load(reloaded, split: .test, directory: cache)
        #expect(!third.hit)
        #expect(third.split.images[0] == (try reloaded.samples(.test)[0].decode()))
    }

    @Test("a damaged cache file is ignored and rewritten")
    func damaged() throws {
        let fm = FileManager.default
        let cache = fm.temporaryDirectory.appendingPathComponent("lines-cache-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: cache) }
        let data = try TaskLoader.load(.mnist, dataLocation: datasetRoot)
        let url = DecodeCache.cacheURL(data, split: .val, directory: cache)
        try fm.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data("LINESPX1 garbage".utf8).write(to: url)
        let loaded = try DecodeCache.load(data, split: .val, directory: cache)
        #expect(!loaded.hit && loaded.split.images.count == 5)
        #expect(try DecodeCache.load(data, split: .val, directory: cache).hit)
    }
}
