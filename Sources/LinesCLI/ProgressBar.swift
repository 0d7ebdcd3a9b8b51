import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on stderr: a redrawn bar with counts, rate and ETA on a terminal, a few plain lines
/// otherwise (logs, CI).
final class ProgressBar {
    private let label: String
    var total: Int
    private let unit: String
    private let start = Date()
    private let isTTY = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastPlainPercent = -1

    init(_ label: String, total: Int, unit: String = "tensors") {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
    }

    /// Reports `done` of `total`.
    func update(_ done: Int) {
        let now = Date()
        let finished = done >= total
        if isTTY {
            guard finished || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let frac = Double(done) / Double(total)
            let width = 30
            let filled = Int(frac * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            let elapsed = now.timeIntervalSince(start)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let line = String(format: "\r%@ %@ %d/%d %@  %.1f/s  ETA %.0fs ", label, bar, done, total, unit, rate, eta)
            FileHandle.standardError.write(Data(line.utf8))
            if finished { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            let pct = done * 100 / total
            guard finished || pct / 25 > lastPlainPercent / 25 else { return }
            lastPlainPercent = pct
            let elapsed = now.timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "%@: %d/%d %@ (%d%%, %.1fs)\n", label, done, total, unit, pct, elapsed).utf8))
        }
    }
}

/// Writes a line to stderr.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
