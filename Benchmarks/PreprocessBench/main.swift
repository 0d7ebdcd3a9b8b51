// lines-preprocess-bench: JPEG decode + CLIP resize + center crop (+ normalise) throughput.
// Usage: lines-preprocess-bench [--repeat R] [--size S] [--decode-only | --transform-only] FILE...
// Prints one line: "images=N seconds=T images_per_second=X". Run by Benchmarks/preprocess_bench.py.
import Datasets
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 3
var size = 224
func option(_ name: String) -> Int? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return nil }
    arguments.removeSubrange(i...(i + 1))
    return v
}
repeats = option("--repeat") ?? repeats
size = option("--size") ?? size
let decodeOnly = arguments.contains("--decode-only")
let transformOnly = arguments.contains("--transform-only")
arguments.removeAll { $0 == "--decode-only" || $0 == "--transform-only" }
let urls = arguments.map { URL(fileURLWithPath: $0) }
guard !urls.isEmpty else {
    FileHandle.standardError.write(Data("usage: lines-preprocess-bench [--repeat R] [--size S] FILE...\n".utf8))
    exit(2)
}
let preprocessor = CLIPPreprocessor(size: size)
// --transform-only: decode once up front, then time resize + crop + normalise alone.
let decoded = transformOnly ? urls.compactMap { try? ImageDecoder.decode(contentsOf: $0) } : []
// Warm-up (page cache, allocator).
_ = preprocessor.preprocessBatch(contentsOf: urls)
var best = Double.infinity
for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    let result: (pixels: [Float], failures: [(index: Int, error: ImageError)])
    if transformOnly {
        result = (preprocessor.preprocessBatch(decoded), [])
    } else if decodeOnly {
        var failures: [(index: Int, error: ImageError)] = []
        for (i, url) in urls.enumerated() {
            do { _ = try ImageDecoder.decode(contentsOf: url) } catch let e as ImageError { failures.append((i, e)) } catch {}
        }
        result = ([], failures)
    } else {
        result = preprocessor.preprocessBatch(contentsOf: urls)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if !result.failures.isEmpty {
        FileHandle.standardError.write(Data("error: \(result.failures[0].error)\n".utf8))
        exit(1)
    }
    best = min(best, seconds)
}
print("images=\(urls.count) seconds=\(best) images_per_second=\(Double(urls.count) / best)")
