import Foundation
import Testing
import Tensors
import Checkpoints
@testable import Merging
import TestSupport

@Suite("fused TIES pass")
struct FusedTIESTests {
    /// θ0 and `T` tasks over three tensors (two residual blocks and a head) whose τ take few
    /// distinct magnitudes, so that many values tie at the k-th value and many elected sums are
    /// exactly 0 with kept values; with `special`, some τ are NaN or ±∞.
    static func inputs(T: Int, n: Int, special: Bool) throws -> MergeInputs {
        let dir = try temporaryFolder("merge")
        var rng = SystemRandomNumberGenerator()
        let keys = ["blocks.0.w", "blocks.1.w", "head.w"]
        var base: [String: [Float]] = [:]
        for k in keys { base[k] = (0..<n).map { _ in Float(Int.random(in: -64...64, using: &rng)) / 32 } }
        let p = try writeModel(dir.appendingPathComponent("p.safetensors"), base)
        var tasks: [TaskCheckpoint] = []
        for t in 0..<T {
            var model: [String: [Float]] = [:]
            for k in keys {
                model[k] = base[k]!.enumerated().map { i, b in
                    if special, t == 1, i % 9973 == 5 { return .nan }
                    if special, t == 2, i % 7919 == 3 { return i % 2 == 0 ? .infinity : -.infinity }
                    return b + Float(Int.random(in: -24...24, using: &rng)) / 64
                }
            }
            tasks.append(TaskCheckpoint(name: "t\(t)", url: try writeModel(dir.appendingPathComponent("t\(t).safetensors"), model)))
        }
        return try MergeInputs(pretrained: p, finetuned: tasks)
    }

    static func merge(_ inputs: MergeInputs, _ agg: TIESAggregation, lines: Bool, fused: Bool, kernels: MergeKernels) throws -> (MergeReport, [UInt8]) {
        var options = MergeOptions(method: .ties)
        options.aggregation = agg
        options.layerPattern = #"blocks\.(\d+)\."#
        if lines { options.lines = (alpha: nil, beta: 0.5) }
        options.streamingTIES = !fused
        options.kernels = kernels
        let out = try temporaryFolder("merge").appendingPathComponent("out.safetensors")
        let report = try Merger.merge(inputs, options: options, to: out)
        return (report, [UInt8](try Data(contentsOf: out)))
    }

    /// Every value of a safetensors file's data section, as F32 (all tensors here are F32).
    static func floats(_ bytes: [UInt8]) throws -> [Float] {
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let data = bytes[(8 + n)...]
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test("the fused pass (portable, AVX2 and AVX-512 kernels) gives the streaming passes' thresholds, sign and bytes",
          arguments: [TIESAggregation.mean, .sum, .max], [false, true])
    func fusedEqualsStreaming(aggregation: TIESAggregation, special: Bool) throws {
        let inputs = try Self.inputs(T: 5, n: 70_003, special: special)
        for lines in [false, true] {
            let (streaming, streamingBytes) = try Self.merge(inputs, aggregation, lines: lines, fused: false, kernels: .portable)
            let (portable, portableBytes) = try Self.merge(inputs, aggregation, lines: lines, fused: true, kernels: .portable)
            // Every C kernel set this CPU runs (AVX2 on any x86-64 CPU since 2013; AVX-512 where present).
            for kernels in MergeKernels.allCases where kernels != .portable && kernels <= MergeKernels.supported {
                let (native, nativeBytes) = try Self.merge(inputs, aggregation, lines: lines, fused: true, kernels: kernels)
                #expect(native.fusedTIES)
                #expect(native.thresholds == streaming.thresholds)
                #expect(native.keptFraction == streaming.keptFraction)
                #expect(native.majoritySign == streaming.majoritySign)
                #expect(native.nonZeroFraction == streaming.nonZeroFraction)
                // Every kernel set sums the norms in the same order: identical bytes, α included.
                #expect(portableBytes == nativeBytes, "\(kernels) kernels")
                #expect(portable.normMerged == native.normMerged, "\(kernels) kernels")
            }
            #expect(!streaming.fusedTIES)
            #expect(portable.fusedTIES)
            #expect(portable.thresholds == streaming.thresholds)
            #expect(portable.keptFraction == streaming.keptFraction)
            #expect(portable.majoritySign == streaming.majoritySign)
            #expect(portable.nonZeroFraction == streaming.nonZeroFraction)
            if lines {
                // ‖τ_TIES‖₁ is summed (in Float lanes) in another order than the streaming pass:
                // α may differ in its last bits, so the values by a rounding step at most.
                let a = try #require(streaming.normMerged), b = try #require(portable.normMerged)
                #expect(special ? a.isNaN == b.isNaN : abs(a - b) <= 1e-6 * abs(a))
                if !special {
                    let x = try Self.floats(streamingBytes), y = try Self.floats(portableBytes)
                    let worst = zip(x, y).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                    #expect(worst <= 1e-6)
                }
            } else {
                #expect(portableBytes == streamingBytes)
            }
        }
    }

    @Test("the kernel choice follows the CPU: AVX2 or better on x86-64 CPUs that have it")
    func dispatch() throws {
        #if arch(x86_64)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let words = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(words.contains)
        if !flags.isEmpty {
            #expect(MergeKernels.supported == (avx512 ? .avx512 : (words.contains("avx2") ? .avx2 : .portable)))
        }
        #else
        #expect(MergeKernels.supported == .portable)
        #endif
        #expect(MergeKernels.selected <= MergeKernels.supported)
    }

    @Test("k = 100 (keep everything) takes the streaming passes; k = 20 the fused one")
    func notApplicable() throws {
        let inputs = try Self.inputs(T: 2, n: 70_000, special: false)
        var options = MergeOptions(method: .ties)
        options.k = 100
        let out = try temporaryFolder("merge").appendingPathComponent("out.safetensors")
        #expect(try !Merger.merge(inputs, options: options, to: out).fusedTIES)
        options.k = 20
        #expect(try Merger.merge(inputs, options: options, to: out).fusedTIES)
    }
}
