import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files and folders outputs are built in: named `.{NAME}.lines-tmp-{PID}-{N}`
/// next to the output, removed when the process is interrupted (SIGINT, SIGTERM, SIGHUP), and,
/// when a `kill -9` left one behind, removed by the next write of the same output.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// A fresh temporary name for `output` (a sibling), or for the swapped-out old contents of
    /// a folder with `kind: "old"`.
    public static func sibling(of output: URL, kind: String = "tmp") -> URL {
        output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).lines-\(kind)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// Removes what dead processes left next to `output`: temporary files and folders; an old
    /// folder set aside during a swap is put back when the output is missing, else removed.
    public static func removeStale(next output: URL) {
        let dir = output.deletingLastPathComponent(), fm = FileManager.default
        let stem = ".\(output.lastPathComponent).lines-"
        for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(stem) {
            let rest = name.dropFirst(stem.count).split(separator: "-")
            guard rest.count == 3, let pid = Int32(rest[1]), pid != getpid(), !alive(pid) else { continue }
            let url = dir.appendingPathComponent(name)
            if rest[0] == "old", !fm.fileExists(atPath: output.path) {
                _ = rename(url.path, output.path)
            } else if rest[0] == "old" || rest[0] == "tmp" {
                try? fm.removeItem(at: url)
            }
        }
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Records `url` for removal on SIGINT, SIGTERM or SIGHUP.
    public static func register(_ url: URL) {
        lock.lock()
        defer { lock.unlock() }
        live.insert(url.path)
        if sources.isEmpty { installHandlers() }
    }

    /// `url` was renamed into place or removed: nothing to clean up any more.
    public static func unregister(_ url: URL) {
        lock.lock()
        live.remove(url.path)
        lock.unlock()
    }

    private static func installHandlers() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // A signal ignored at start (nohup, `&` in a script) stays ignored.
            let previous = signal(sig, SIG_IGN)
            if unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { signal(sig, previous); continue }
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                lock.lock()
                let paths = live
                lock.unlock()
                for p in paths { try? FileManager.default.removeItem(atPath: p) }
                signal(sig, SIG_DFL)
                kill(getpid(), sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
