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

    /// Refuses to replace an existing file that is not a checkpoint (a safetensors file, a zip
    /// archive as `torch.save` writes, a NumPy file), unless `force`: re-running a command over
    /// its own output is normal, but a typo in `-o` must not destroy a report, an image or a
    /// script. An empty file is replaced; folders are judged where they are written
    /// (``ShardedSafetensorsWriter``), and a FIFO or device is never written through.
    /// - Throws: ``CheckpointError/io(path:reason:)`` in one sentence naming the flag.
    public static func checkReplaceable(file output: URL, force: Bool, flag: String = "-o") throws {
        var st = stat()
        guard lstat(output.path, &st) == 0 else { return }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { return }
        if type == S_IFLNK {
            // A link is replaced by the output (rename does not follow it); its target is kept.
            var target = stat()
            if stat(output.path, &target) != 0 || (target.st_mode & S_IFMT) == S_IFDIR { return }
            if !force {
                throw CheckpointError.io(path: output.path, reason: "\(flag) is a symbolic link; the output would replace the link, not its target: name the file itself, or pass --force to replace the link")
            }
            return
        }
        if force { return }
        guard type == S_IFREG else {
            throw CheckpointError.io(path: output.path, reason: "\(flag) exists and is not a regular file (a FIFO, socket or device): choose another output, or pass --force to replace it")
        }
        if st.st_size == 0 { return }
        guard isCheckpoint(output, size: Int(st.st_size)) else {
            throw CheckpointError.io(path: output.path, reason: "\(flag) exists and is not a checkpoint (\(describe(output))); Lines replaces only files of the kinds it writes: choose another name, or pass --force to replace it")
        }
    }

    /// Whether the file starts as a safetensors file, a zip archive or a NumPy file.
    static func isCheckpoint(_ url: URL, size: Int) -> Bool {
        let fd = open(url.path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 16)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) }
        guard n >= 4 else { return false }
        if head[0] == 0x50, head[1] == 0x4B, (head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6) { return true }
        if n >= 6, head[0] == 0x93, Array(head[1..<6]) == Array("NUMPY".utf8) { return true }
        if n >= 9 {
            var length = 0
            for i in (0..<8).reversed() { length = length << 8 | Int(head[i]) }
            return length >= 2 && length <= size - 8 && head[8] == UInt8(ascii: "{")
        }
        return false
    }

    /// A short description of what a file holds, from its first bytes.
    static func describe(_ url: URL) -> String {
        let fd = open(url.path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return "unreadable" }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 24)
        let n = max(0, head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 24, 0) })
        let bytes = head.prefix(n)
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "a PNG image" }
        if bytes.starts(with: Array("%PDF".utf8)) { return "a PDF document" }
        if bytes.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || (0x20..<0x7F).contains($0) || $0 >= 0x80 }) {
            let text = String(decoding: bytes, as: UTF8.self).prefix(16).map { $0.isNewline ? " " : String($0) }.joined()
            return "it starts with the text \"\(text)\""
        }
        return "it starts with the bytes " + bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
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
