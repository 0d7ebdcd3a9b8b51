// Release-mode benchmark of the CLIP ViT image encoder and of OpenBLAS sgemm at the model's GEMM
// sizes. Driven by Benchmarks/clip_bench.sh, which also runs the PyTorch peer; prints one JSON line.
//
//   swift run -c release CLIPBenchmark ENCODER.safetensors PIXELS.safetensors [iterations]
#if canImport(CBLAS)
import CBLAS
#endif
import CLIP
import Checkpoints
import Foundation
import Tensors

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best-of-`repeats` GFLOP/s of C[m,n] = A[m,k] · B[n,k]ᵀ (the layout of every linear layer).
///
/// `split`: the rows are split over `Parallel.threadCount` threads, each calling single-threaded
/// sgemm on its own rows (the encoder's `splitBatch` mode); otherwise one call on OpenBLAS threads.
func sgemmRate(m: Int, n: Int, k: Int, split: Bool, repeats: Int = 5) -> Double {
    var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: n * k)
    var c = [Float](repeating: 0, count: m * n)
    for i in a.indices { a[i] = Float(i % 13) * 0.01 }
    for i in b.indices { b[i] = Float(i % 7) * 0.01 }
    let parts = split ? Parallel.threadCount : 1
    #if canImport(CBLAS)
    openblas_set_num_threads(Int32(split ? 1 : Parallel.threadCount))
    #endif
    var best = Double.infinity
    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
        let a0 = ap.baseAddress!, b0 = bp.baseAddress!, c0 = cp.baseAddress!
        for _ in 0..<repeats {
            best = min(best, seconds {
                Parallel.forEach(parts) { p in
                    let lo = p * m / parts, hi = (p + 1) * m / parts
                    BLAS.sgemm(transposeB: true, m: hi - lo, n: n, k: k, a: a0 + lo * k, lda: k,
                               b: b0, ldb: k, c: c0 + lo * n, ldc: n)
                }
            })
        }
    } } }
    #if canImport(CBLAS)
    openblas_set_num_threads(Int32(Parallel.threadCount))
    #endif
    return 2 * Double(m * n * k) / best / 1e9
}

OpenBLASKernel.restartWithRecommendedCoreIfNeeded()
let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: CLIPBenchmark ENCODER PIXELS [iterations]\n".utf8))
    exit(2)
}
let iterations = args.count > 3 ? Int(args[3]) ?? 5 : 5
do {
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let encoder = try VisionTransformer(checkpoint: URL(fileURLWithPath: args[1]))
    let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
    let pixels = try SafetensorsFile(url: URL(fileURLWithPath: args[2])).readFloat("pixels")
    let batch = pixels.shape[0], c = encoder.config
    let rows = batch * c.tokens, g2 = c.gridSize * c.gridSize
    // The model's GEMMs per batch: (m, n, k, count).
    let gemms: [(Int, Int, Int, Int)] = [
        (batch * g2, c.width, 3 * c.patchSize * c.patchSize, 1),
        (rows, 3 * c.width, c.width, c.layers), (rows, c.width, c.width, c.layers),
        (rows, c.mlpWidth, c.width, c.layers), (rows, c.width, c.mlpWidth, c.layers),
    ]
    /// FLOP-weighted sgemm rate over the model's GEMMs, and the rate of each shape.
    func modelMix(split: Bool) -> (Double, [String]) {
        var flops = 0.0, time = 0.0, perShape: [String] = []
        for (m, n, k, count) in gemms {
            let rate = sgemmRate(m: m, n: n, k: k, split: split)
            let f = 2 * Double(m * n * k) * Double(count)
            flops += f
            time += f / (rate * 1e9)
            perShape.append("\"\(m)x\(n)x\(k)\": \(String(format: "%.1f", rate))")
        }
        return (flops / time / 1e9, perShape)
    }
    // Alternate sgemm measurements and encoder batches, keeping the best of each.
    let workspace = VisionTransformerWorkspace(config: c, batchCapacity: batch)
    var features = [Float](repeating: 0, count: batch * c.outputDim)
    var times: [Double] = []
    var sgemmThreaded = 0.0, sgemmSplit = 0.0, perShape: [String] = []
    pixels.scalars.withUnsafeBufferPointer { p in
        features.withUnsafeMutableBufferPointer { f in
            // The first batch warms caches, page tables and threads.
            encoder.forward(pixels: p.baseAddress!, count: batch, features: f.baseAddress!, workspace: workspace)
            for round in 0..<2 {
                let (threaded, shapes) = modelMix(split: false)
                if threaded > sgemmThreaded { sgemmThreaded = threaded; perShape = shapes }
                sgemmSplit = max(sgemmSplit, modelMix(split: true).0)
                for _ in 0..<((iterations + round) / 2) {
                    times.append(seconds {
                        encoder.forward(pixels: p.baseAddress!, count: batch, features: f.baseAddress!, workspace: workspace)
                    })
                }
            }
        }
    }
    let sgemmGFLOPs = max(sgemmThreaded, sgemmSplit)

    // Best batch: other processes on the machine only ever slow a batch down.
    let median = times.sorted()[times.count / 2], best = times.min() ?? median
    let imagesPerSecond = Double(batch) / best
    let flopsPerImage = 2 * Double(c.multiplyAccumulatesPerImage)
    let achieved = flopsPerImage * imagesPerSecond / 1e9
    // The last block skips queries, out_proj and the MLP of the patch tokens.
    let t = c.tokens, w = c.width
    let skipped = (t - 1) * (w * w + w * w + 2 * w * c.mlpWidth) + (t - 1) * 2 * t * w
    let executed = 2 * Double(c.multiplyAccumulatesPerImage - skipped) * imagesPerSecond / 1e9
    print("""
    {"model": "\(c.presetName ?? "ViT")", "encoder_file": "\(URL(fileURLWithPath: args[1]).lastPathComponent)", "load_s": \(String(format: "%.3f", loadSeconds)), "activation": "\(c.activation.rawValue)", "batch": \(batch), \
    "threads": \(Parallel.threadCount), "openblas_core": "\(OpenBLASKernel.coreName ?? "none")", "iterations": \(iterations), "best_batch_s": \(String(format: "%.4f", best)), "median_batch_s": \(String(format: "%.4f", median)), \
    "images_per_s": \(String(format: "%.2f", imagesPerSecond)), "gflop_per_image": \(String(format: "%.3f", flopsPerImage / 1e9)), \
    "achieved_gflops": \(String(format: "%.1f", achieved)), "executed_gflops": \(String(format: "%.1f", executed)), "sgemm_gflops_model_mix": \(String(format: "%.1f", sgemmGFLOPs)), \
    "sgemm_openblas_threads": \(String(format: "%.1f", sgemmThreaded)), "sgemm_split_rows": \(String(format: "%.1f", sgemmSplit)), \
    "parallelism": "\(encoder.parallelism.rawValue)", \
    "fraction_of_sgemm": \(String(format: "%.3f", achieved / sgemmGFLOPs)), "executed_fraction_of_sgemm": \(String(format: "%.3f", executed / sgemmGFLOPs)), "sgemm_by_shape": {\(perShape.joined(separator: ", "))}}
    """)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
