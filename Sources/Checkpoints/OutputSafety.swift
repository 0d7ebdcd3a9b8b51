import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses an output that would destroy an input: the same file (by device and inode, so through
/// symlinks, hard links and `..`), a folder output that contains an input, or an output file
/// inside an input folder (a sharded checkpoint).
public enum OutputSafety {
    /// Throws when writing `output` could replace or remove any of `inputs`.
    /// - Parameters:
    ///   - output: the file or folder about to be written (it may not exist yet).
    ///   - inputs: every file or folder the command reads.
    ///   - flag: how the output is named on the command line, for the message (e.g. `-o`).
    /// - Throws: ``CheckpointError/io(path:reason:)`` naming both paths.
    public static func check(output: URL, inputs: [URL], flag: String = "-o") throws {
        let out = output.standardizedFileURL
        let outResolved = resolved(out)
        for input in inputs {
            let inURL = input.standardizedFileURL
            if let a = identity(output), let b = identity(input), a == b {
                throw CheckpointError.io(path: output.path, reason: "\(flag) names the input \(input.path) (the same file); writing it would destroy that input (choose another output)")
            }
            // A sharded checkpoint named by its index file is its whole folder.
            let inFolder = inURL.lastPathComponent.hasSuffix(".index.json") ? inURL.deletingLastPathComponent() : nil
            if let inFolder, resolved(out).hasPrefix(resolved(inFolder) + "/") {
                throw CheckpointError.io(path: output.path, reason: "\(flag) is inside the folder of the sharded input \(input.path); writing there could replace its shards (choose another output)")
            }
            let inResolved = resolved(inURL)
            if inResolved.hasPrefix(outResolved + "/") {
                throw CheckpointError.io(path: output.path, reason: "\(flag) is a folder that holds the input \(input.path); writing it would destroy that input (choose another output)")
            }
            if isDirectory(inURL), outResolved.hasPrefix(inResolved + "/") {
                throw CheckpointError.io(path: output.path, reason: "\(flag) is inside the input folder \(input.path); writing there could replace its files (choose another output)")
            }
        }
    }

    /// (device, inode) of an existing file or folder, following symlinks.
    static func identity(_ url: URL) -> [UInt64]? {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    /// The absolute path with symlinks resolved as far as the path exists (the rest appended).
    static func resolved(_ url: URL) -> String {
        var existing = url
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var base = existing.resolvingSymlinksInPath().path
        for part in rest { base = (base as NSString).appendingPathComponent(part) }
        return base
    }
}
