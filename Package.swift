// swift-tools-version:6.0
import PackageDescription
import class Foundation.ProcessInfo

/// The streaming merge kernels (`Sources/Merging`) run on `SIMD8<Float>`; for x86-64 the default
/// target (SSE2) splits every vector in two and spills masks, so on x86-64 hosts that target is
/// compiled for Haswell (AVX2; 2013+ CPUs), about 1.7× faster per pass with bit-identical
/// results (no fast-math, no FMA contraction). `LINES_PORTABLE=1 swift build` builds it for
/// baseline x86-64 instead (also needed when Lines is used as a package dependency, since
/// SwiftPM rejects unsafe flags there).
let mergingSettings: [SwiftSetting] = {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["LINES_PORTABLE"] == nil {
        return [.unsafeFlags(["-target-cpu", "haswell"])]
    }
    #endif
    return []
}()

/// The training, inference, image and evaluation kernels are scalar loops over every value;
/// unoptimised they make the debug suite (learning test, `lines demo --quick`, decoding) ~10×
/// slower, so debug builds compile those modules with `-O` too (set `LINES_PORTABLE=1` to drop
/// the flag, e.g. when Lines is a package dependency).
let optimizedInDebug: [SwiftSetting] = {
    if ProcessInfo.processInfo.environment["LINES_PORTABLE"] == nil {
        return [.unsafeFlags(["-O"], .when(configuration: .debug))]
    }
    return []
}()

/// The AVX-512 merge kernels (C, `Sources/CMergeKernels`) at `-O2` in debug builds too.
let cOptimizedInDebug: [CSetting] = {
    if ProcessInfo.processInfo.environment["LINES_PORTABLE"] == nil {
        return [.unsafeFlags(["-O2"], .when(configuration: .debug))]
    }
    return []
}()

let package = Package(
    name: "Lines",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Merging", targets: ["Merging"]),
        .library(name: "CLIP", targets: ["CLIP"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "Demo", targets: ["Demo"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Hub", targets: ["Hub"]),
        .executable(name: "lines", targets: ["LinesCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "Tensors",
            dependencies: [
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: optimizedInDebug
        ),
        // SIGBUS on a checkpoint truncated while memory-mapped, turned into an error (C: a signal handler).
        .target(name: "CMapGuard"),
        .target(name: "Checkpoints", dependencies: ["Tensors", "LinesZlib", "CMapGuard"]),
        .target(name: "CMergeKernels", cSettings: cOptimizedInDebug),
        .target(name: "Merging", dependencies: ["Tensors", "Checkpoints", "CMergeKernels", .product(name: "Yams", package: "Yams")], swiftSettings: mergingSettings),
        .target(
            name: "CLIP",
            dependencies: [
                "Tensors", "Checkpoints",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            // CLIP's BPE merges (open_clip's copy, MIT licence beside it), found without flags.
            resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/LICENSE-open_clip.txt")],
            swiftSettings: optimizedInDebug
        ),
        .systemLibrary(
            name: "LinesZlib",
            path: "Sources/LinesZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            path: "Sources/CHDF5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]
        ),
        .target(name: "Datasets", dependencies: ["Tensors", "Checkpoints", "CImageCodecs", "CHDF5"], swiftSettings: optimizedInDebug),
        .target(
            name: "Training",
            dependencies: [
                "Tensors", "Checkpoints", "CLIP", "Datasets",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: optimizedInDebug
        ),
        .executableTarget(
            name: "lines-finetune-bench",
            dependencies: ["Training", "CLIP", "Tensors"],
            path: "Benchmarks/FinetuneBench"
        ),
        .target(name: "Evaluation", dependencies: ["Tensors", "Checkpoints", "CLIP", "Datasets"], swiftSettings: optimizedInDebug),
        .target(
            name: "Experiments",
            dependencies: [
                "Tensors", "Checkpoints", "Merging", "CLIP", "Datasets", "Evaluation",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimizedInDebug
        ),
        .target(name: "Report"),
        // The Hugging Face Hub: downloads into huggingface_hub's cache layout (HTTP: Foundation's URLSession).
        .target(name: "Hub", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // `lines datasets download`: the tasks' own sources, checked and extracted safely.
        .target(name: "DatasetDownloads", dependencies: ["Hub", "Datasets", "Checkpoints", "LinesZlib", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Glyphs rendered with FreeType from the fonts Debian ships (the demo's glyph tasks).
        .target(
            name: "CGlyphs",
            cSettings: [.unsafeFlags(["-I/usr/include/freetype2"])],
            linkerSettings: [.linkedLibrary("freetype")]
        ),
        .target(
            name: "Demo",
            dependencies: ["Datasets", "Experiments", "Report", "CLIP", "Checkpoints", "Tensors", "Training", "CGlyphs", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources/pretrained.safetensors")], swiftSettings: optimizedInDebug
        ),
        .executableTarget(
            name: "lines-preprocess-bench",
            dependencies: ["Datasets"],
            path: "Benchmarks/PreprocessBench"
        ),
        .executableTarget(
            name: "LinesCLI",
            dependencies: [
                "Tensors", "Checkpoints", "Merging", "CLIP", "Datasets", "Evaluation", "Experiments", "Training", "Demo", "Hub", "DatasetDownloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers every test target shares: paths, temporary folders, error measures, the lines process.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["TestSupport", "Tensors", "Checkpoints"]),
        .testTarget(name: "HubTests", dependencies: ["TestSupport", "Hub", "DatasetDownloads", "Datasets", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "CheckpointsTests", dependencies: ["TestSupport", "Checkpoints", "Tensors"]),
        .testTarget(name: "MergingTests", dependencies: ["TestSupport", "Merging", "Checkpoints", "Tensors"]),
        .testTarget(name: "CLIPTests", dependencies: ["TestSupport", "CLIP", "Checkpoints", "Tensors"]),
        .testTarget(name: "LinesCLITests", dependencies: ["TestSupport", "LinesCLI", "CLIP", "Checkpoints", "Datasets", "Tensors", "Training"]),
        .executableTarget(
            name: "CLIPBenchmark",
            dependencies: [
                "CLIP", "Checkpoints", "Tensors",
                .target(name: "CBLAS", condition: .when(platforms: [.linux])),
            ],
            path: "Benchmarks/CLIPBenchmark"
        ),
        .testTarget(name: "DatasetsTests", dependencies: ["TestSupport", "Datasets", "Checkpoints", "Tensors"]),
        .testTarget(name: "ReportTests", dependencies: ["Report"]),
        .testTarget(name: "DemoTests", dependencies: ["Demo", "Datasets", "Experiments", "Checkpoints", "Tensors"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "CLIP", "Datasets", "Checkpoints", "Tensors"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["TestSupport", "Experiments", "Evaluation", "Merging", "CLIP", "Datasets", "Checkpoints", "Tensors"]),
        .testTarget(name: "TrainingTests", dependencies: ["TestSupport", "Training", "CLIP", "Datasets", "Checkpoints", "Tensors"]),
    ],
    swiftLanguageModes: [.v5]
)
