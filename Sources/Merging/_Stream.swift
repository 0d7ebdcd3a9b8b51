import Dispatch
import Foundation
import Checkpoints
import Tensors

/// One chunk of one tensor, across θ0 and every θ_t, as `Float` pointers.
struct _Chunk {
    /// Index of the tensor in flattening order.
    let key: Int
    let info: TensorInfo
    /// Offset of the chunk inside its tensor.
    let start: Int
    let count: Int
    /// Offset of the chunk's first value in the flattened vector.
    let global: Int
    /// θ0 values.
    let base: UnsafePointer<Float>
    /// θ_t values, one pointer per task.
    let tasks: UnsafePointer<UnsafePointer<Float>>
}

/// Streams all checkpoints tensor by tensor, in flattening order, in chunks of at most
/// `chunkSize` values, and releases the mapped pages after each chunk: one pass of a merge.
final class _Stream {
    let inputs: MergeInputs
    let chunkSize: Int
    private let sources: [_ModelSource]
    private let taskPointers: UnsafeMutablePointer<UnsafePointer<Float>>
    let progress: MergeProgress?

    init(inputs: MergeInputs, chunkSize: Int = 1 << 20, progress: MergeProgress?) {
        self.inputs = inputs
        self.chunkSize = chunkSize
        self.progress = progress
        sources = ([inputs.pretrained] + inputs.finetuned).map { _ModelSource(reader: $0, chunkSize: chunkSize) }
        taskPointers = .allocate(capacity: max(inputs.taskCount, 1))
    }

    deinit { taskPointers.deallocate() }

    /// Whether each pass prints its wall time to stderr (`LINES_MERGE_TIMING=1`), for profiling.
    static let timing = ProcessInfo.processInfo.environment["LINES_MERGE_TIMING"] != nil

    /// With `timing`, prints `label` and the process's age (from the kernel's start time), to
    /// see what the passes leave out: start-up, selection, commit, exit.
    static func mark(_ label: String) {
        guard timing else { return }
        var age = 0.0
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 19, let ticks = Double(fields[19]), let up = Double(uptime.split(separator: " ")[0]) {
                age = up - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        FileHandle.standardError.write("[LINES_MERGE_TIMING] \(label) at \(String(format: "%.2f", age)) s\n".data(using: .utf8)!)
    }


    /// One pass over every tensor; `endOfTensor(i)` runs after tensor `i`'s last chunk.
    func sweep(_ label: String, _ body: (_Chunk) throws -> Void, endOfTensor: ((Int) throws -> Void)? = nil) throws {
        let T = inputs.taskCount
        let total = inputs.tensors.count
        progress?(label, 0, total)
        let started = _Stream.timing ? DispatchTime.now().uptimeNanoseconds : 0
        defer {
            if _Stream.timing {
                let s = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                FileHandle.standardError.write("[LINES_MERGE_TIMING] \(label): \(String(format: "%.3f", s)) s\n".data(using: .utf8)!)
            }
        }
        for (ki, info) in inputs.tensors.enumerated() {
            let n = info.count
            var s = 0
            while s < n {
                let c = min(chunkSize, n - s)
                let r = s..<(s + c)
                let base = try sources[0].chunk(info, r)
                for t in 0..<T { taskPointers[t] = try sources[t + 1].chunk(info, r) }
                try body(_Chunk(key: ki, info: info, start: s, count: c, global: inputs.offsets[ki] + s,
                                base: base, tasks: UnsafePointer(taskPointers)))
                for src in sources { src.release(info, r) }
                s += c
            }
            for src in sources { src.finish(info) }
            try endOfTensor?(ki)
            progress?(label, ki + 1, total)
        }
    }

    /// Drops the mapped pages of values `r` (chunk indices) of chunk `c` in every source. Workers call it for their own part as soon as they are done with it, so
    /// that the unmapping is shared out instead of run by one thread between chunks (the pass's
    /// own release then finds little left to do).
    func release(_ c: _Chunk, _ r: Range<Int>) {
        let range = (c.start + r.lowerBound)..<(c.start + r.upperBound)
        for src in sources { src.release(c.info, range) }
    }

    /// Splits `0..<count` into up to `Parallel.threadCount` ranges; with `alignedTo8`, every
    /// split point falls on a multiple of 8 in the flattened vector (`global` + offset), so
    /// that workers setting packed mask bits never share a byte.
    static func parts(count: Int, global: Int = 0, alignedTo8: Bool = false, minChunk: Int = 1 << 15) -> [Range<Int>] {
        let n = max(1, min(Parallel.threadCount, count / minChunk))
        if n == 1 { return [0..<count] }
        var out: [Range<Int>] = []
        var lo = 0
        for p in 1...n {
            var hi = p == n ? count : count * p / n
            if alignedTo8, p < n { hi = min(count, ((global + hi + 7) & ~7) - global) }
            if hi > lo { out.append(lo..<hi); lo = hi }
        }
        return out
    }

    /// Runs `body(part, range)` on every range, in parallel.
    static func run(_ ranges: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
        if ranges.count == 1 { body(0, ranges[0]); return }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: ranges.count) { p in body(p, ranges[p]) }
        }
    }
}

/// Reports progress of a pass: its label, tensors done, tensors in all.
public typealias MergeProgress = (_ pass: String, _ done: Int, _ total: Int) -> Void
