import Foundation

/// A file written whole or not at all: into a hidden `.NAME.part` sibling, synced, then renamed
/// onto its name; the part is removed if `body` throws.
enum AtomicFile {
    static func write(_ target: URL, task: String, _ body: (FileHandle) throws -> Void) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let part = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).part")
        guard fm.createFile(atPath: part.path, contents: nil), let handle = FileHandle(forWritingAtPath: part.path) else {
            throw DatasetDownloader.Failure(description: "\(task): cannot write \(part.path)")
        }
        var done = false
        defer { try? handle.close(); if !done { try? fm.removeItem(at: part) } }
        try body(handle)
        try handle.synchronize()
        guard rename(part.path, target.path) == 0 else {
            throw DatasetDownloader.Failure(description: "\(task): cannot rename \(part.lastPathComponent) to \(target.path) (\(String(cString: strerror(errno))))")
        }
        done = true
    }
}
