// Release-mode benchmark of the CLIP ViT image encoder and of OpenBLAS sgemm at the model's GEMM
// sizes. Driven by Benchmarks/clip_bench.sh, which also runs the PyTorch peer; prints one JSON line.
//
//   swift run -c release CLIPBenchmark ENCODER.safetensors PIXELS.safetensors [iterations]
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
func sgemmRate(m: Int, n: Int, k: Int, repeats: Int = 5) -> Double {
    var a = [Float](repeating: 0, count: m * k), b = [Float](repeating: 0, count: n * k)
    var c = [Float](repeating: 0, count: m * n)
    for i in a.indices { a[i] = Float(i % 13) * 0.01 }
    for i in b.indices { b[i] = Float(i % 7) * 0.01 }
    var best = Double.infinity
    a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
        for _ in 0..<repeats {
            best = min(best, seconds {
                BLAS.sgemm(transposeB: true, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                           b: bp.baseAddress!, ldb: k, c: cp.baseAddress!, ldc: n)
            })
        }
    } } }
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
    let encoder = try VisionTransformer(checkpoint: URL(fileURLWithPath: args[1]))
    let pixels = try SafetensorsFile(url: URL(fileURLWithPath: args[2])).readFloat("pixels")
    let batch = pixels.shape[0], c = encoder.config
    let rows = batch * c.tokens, g2 = c.gridSize * c.gridSize
    // The model's GEMMs per batch: (m, n, k, count).
    let gemms: [(Int, Int, Int, Int)] = [
        (batch * g2, c.width, 3 * c.patchSize * c.patchSize, 1),
        (rows, 3 * c.width, c.width, c.layers), (rows, c.width, c.width, c.layers),
        (rows, c.mlpWidth, c.width, c.layers), (rows, c.width, c.mlpWidth, c.layers),
    ]
    var gemmFlops = 0.0, gemmTime = 0.0
    var perShape: [String] = []
    for (m, n, k, count) in gemms {
        let rate = sgemmRate(m: m, n: n, k: k)
        let flops = 2 * Double(m * n * k) * Double(count)
        gemmFlops += flops
        gemmTime += flops / (rate * 1e9)
        perShape.append("\"\(m)x\(n)x\(k)\": \(String(format: "%.1f", rate))")
    }
    let sgemmGFLOPs = gemmFlops / gemmTime / 1e9

    let workspace = VisionTransformerWorkspace(config: c, batchCapacity: batch)
    var features = [Float](repeating: 0, count: batch * c.outputDim)
    var times: [Double] = []
    pixels.scalars.withUnsafeBufferPointer { p in
        features.withUnsafeMutableBufferPointer { f in
            for i in 0..<(iterations + 1) {
                let t = seconds { encoder.forward(pixels: p.baseAddress!, count: batch, features: f.baseAddress!, workspace: workspace) }
                if i > 0 { times.append(t) }  // the first batch warms caches and threads
            }
        }
    }
    let median = times.sorted()[times.count / 2]
    let imagesPerSecond = Double(batch) / median
    let flopsPerImage = 2 * Double(c.multiplyAccumulatesPerImage)
    let achieved = flopsPerImage * imagesPerSecond / 1e9
    print("""
    {"model": "\(c.presetName ?? "ViT")", "activation": "\(c.activation.rawValue)", "batch": \(batch), \
    "threads": \(Parallel.threadCount), "openblas_core": "\(OpenBLASKernel.coreName ?? "none")", "iterations": \(iterations), "median_batch_s": \(String(format: "%.4f", median)), \
    "images_per_s": \(String(format: "%.2f", imagesPerSecond)), "gflop_per_image": \(String(format: "%.3f", flopsPerImage / 1e9)), \
    "achieved_gflops": \(String(format: "%.1f", achieved)), "sgemm_gflops_model_mix": \(String(format: "%.1f", sgemmGFLOPs)), \
    "fraction_of_sgemm": \(String(format: "%.3f", achieved / sgemmGFLOPs)), "sgemm_by_shape": {\(perShape.joined(separator: ", "))}}
    """)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
