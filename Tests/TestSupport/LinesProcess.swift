import Foundation

/// The built `lines` executable, run as a child process by the end-to-end tests.
public enum LinesProcess {
    /// The `lines` executable next to the test bundle (both are built into the same folder), or
    /// `nil` when it was not built.
    public static var executable: URL? {
        var dir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("lines")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// Starts `executable` with `arguments`, its output discarded (for tests that kill it).
    public static func start(_ executable: URL, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs `executable` with `arguments` to the end: its exit status, standard output and error.
    /// - Parameter environment: variables set on top of this process's environment.
    public static func run(_ executable: URL, _ arguments: [String],
                           environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Standard error is drained on another thread so that neither pipe can fill and block the child.
        let e = Drained()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e.data, as: UTF8.self))
    }
}

/// What a reader thread collected (written once, read after the semaphore).
private final class Drained: @unchecked Sendable {
    var data = Data()
}

/// ``LinesProcess/executable``.
public func linesExecutable() -> URL? { LinesProcess.executable }
