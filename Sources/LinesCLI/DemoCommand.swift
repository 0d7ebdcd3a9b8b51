import ArgumentParser
import Checkpoints
import Foundation
import Merging
import Tensors

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the embedded default: build small open_clip-layout checkpoints, inspect, convert, edit and merge them.",
        discussion: """
        Needs no download. Writes a pre-trained tiny ViT image encoder (open_clip key layout, \
        `model.` prefix as the LiNeS reference saves them) and fine-tuned variants of it, then runs \
        the same library code as `lines inspect`, `lines convert`, `lines edit` and `lines merge`. \
        The weights are seeded random numbers, not trained models: this shows the tools, not \
        accuracy.

        Example:
          lines demo --output /tmp/lines-demo
        """
    )

    @Option(help: "Folder for the demo's files (created; existing demo files are replaced).")
    var output: String = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo").path

    @Option(help: "Residual blocks of the tiny ViT.")
    var layers: Int = 4

    @Option(help: "Width of the tiny ViT.")
    var width: Int = 64

    func validate() throws {
        guard (1...48).contains(layers) else { throw ValidationError("--layers must be in 1...48") }
        guard width >= 8, width % 8 == 0, width <= 1024 else { throw ValidationError("--width must be a multiple of 8 in 8...1024") }
    }

    func run() throws {
        let dir = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let spec = SyntheticViT(width: width, layers: layers)
        let tasks = ["EuroSAT", "DTD", "MNIST"]
        print("== writing a pre-trained tiny ViT and \(tasks.count) fine-tuned variants to \(dir.path)")
        let zeroshot = dir.appendingPathComponent("MNISTVal/nonlinear_zeroshot.safetensors")
        try spec.write(to: zeroshot, seed: 0, taskScale: 0)
        var finetuned: [URL] = []
        for (i, t) in tasks.enumerated() {
            let url = dir.appendingPathComponent("\(t)Val/nonlinear_finetuned.safetensors")
            try spec.write(to: url, seed: UInt64(i + 1), taskScale: 0.02)
            finetuned.append(url)
        }
        print("\n== lines inspect \(finetuned[0].path)")
        let reader = try Checkpoint.open(finetuned[0])
        print(try CheckpointSummary(reader: reader).text())
        let sharded = dir.appendingPathComponent("EuroSATVal/bf16-sharded")
        print("\n== lines convert \(finetuned[0].lastPathComponent) \(sharded.lastPathComponent) --dtype bf16 --max-shard-size 64KB")
        try? FileManager.default.removeItem(at: sharded)
        try CheckpointConverter.convert(reader, to: sharded, dtype: .bf16, maxShardSize: 64_000)
        let back = try Checkpoint.open(sharded)
        var maxRel: Float = 0
        for t in reader.tensors {
            let a = try reader.readFloat(t.name).scalars, b = try back.readFloat(t.name).scalars
            for (x, y) in zip(a, b) where x != 0 { maxRel = max(maxRel, abs(x - y) / abs(x)) }
        }
        let shards = try FileManager.default.contentsOfDirectory(atPath: sharded.path).sorted()
        print("wrote \(shards.count) files: \(shards.joined(separator: ", "))")
        print(String(format: "largest relative change from the bf16 cast: %.2e (bf16 keeps 8 significant bits: ≤ 3.9e-3)", maxRel))

        let tasksArg = zip(tasks, finetuned).map { TaskCheckpoint(name: $0, url: $1) }
        print("\n== lines edit --pretrained \(zeroshot.lastPathComponent) --finetuned EuroSAT=… --gamma 0.1")
        let editOut = dir.appendingPathComponent("EuroSAT-lines-gamma0.1.safetensors")
        let edit = try Merger.edit(try MergeInputs(pretrained: zeroshot, finetuned: [tasksArg[0]]),
                                   schedule: (alpha: 0.1, beta: 0.9), to: editOut)
        print(edit.summary)

        for (method, extra) in [(MergeMethod.sum, "--lines --beta 0.5"), (.ties, "--lines --beta 1.0"), (.consensus, "--tall-lambda 0.4 --lines --beta 0.5")] {
            print("\n== lines merge --method \(method.rawValue) \(extra) (\(tasks.count) tasks)")
            var options = MergeOptions(method: method)
            options.lines = (alpha: nil, beta: method == .ties ? 1.0 : 0.5)
            let out = dir.appendingPathComponent("merged-\(method.rawValue)-lines.safetensors")
            let report = try Merger.merge(try MergeInputs(pretrained: zeroshot, finetuned: tasksArg), options: options, to: out)
            print(report.summary)
        }
        print("\nAll outputs are in \(dir.path). The same steps on your checkpoints: lines help edit, lines help merge.")
    }
}

/// Seeded random weights in the open_clip ViT layout, wrapped as the reference's ImageEncoder
/// saves them (`model.` prefix, text tower removed).
struct SyntheticViT {
    var width: Int
    var layers: Int
    var patch = 8
    var image = 32
    var outputDim = 32

    /// Tensor names and shapes, in the order open_clip's `state_dict()` lists them.
    var shapes: [(String, [Int])] {
        let grid = image / patch
        var s: [(String, [Int])] = [
            ("model.visual.class_embedding", [width]),
            ("model.visual.positional_embedding", [grid * grid + 1, width]),
            ("model.visual.proj", [width, outputDim]),
            ("model.visual.conv1.weight", [width, 3, patch, patch]),
            ("model.visual.ln_pre.weight", [width]), ("model.visual.ln_pre.bias", [width]),
        ]
        for i in 0..<layers {
            let p = "model.visual.transformer.resblocks.\(i)."
            s += [
                (p + "ln_1.weight", [width]), (p + "ln_1.bias", [width]),
                (p + "attn.in_proj_weight", [3 * width, width]), (p + "attn.in_proj_bias", [3 * width]),
                (p + "attn.out_proj.weight", [width, width]), (p + "attn.out_proj.bias", [width]),
                (p + "ln_2.weight", [width]), (p + "ln_2.bias", [width]),
                (p + "mlp.c_fc.weight", [4 * width, width]), (p + "mlp.c_fc.bias", [4 * width]),
                (p + "mlp.c_proj.weight", [width, 4 * width]), (p + "mlp.c_proj.bias", [width]),
            ]
        }
        s += [("model.visual.ln_post.weight", [width]), ("model.visual.ln_post.bias", [width])]
        return s
    }

    /// Writes θ0 (seed 0 weights) plus `taskScale` × seeded noise, deeper blocks moved more.
    func write(to url: URL, seed: UInt64, taskScale: Float) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var tensors: [(String, StoredTensor)] = []
        for (k, (name, shape)) in shapes.enumerated() {
            var base = Noise(seed: UInt64(k) &* 7919)
            var task = Noise(seed: seed &* 1_000_003 &+ UInt64(k))
            let n = shape.reduce(1, *)
            let isNorm = name.contains("ln_") && name.hasSuffix("weight")
            let depth = Float(Int(name.split(separator: ".").first { Int($0) != nil } ?? "0") ?? 0) / Float(max(1, layers - 1))
            let scale = 1 / Float(shape.last ?? 1).squareRoot()
            let values = (0..<n).map { _ -> Float in
                let b = isNorm ? 1 : base.next() * scale
                return b + taskScale * (0.5 + depth) * task.next() * scale
            }
            tensors.append((name, StoredTensor(Tensor(shape: shape, scalars: values))))
        }
        try SafetensorsWriter.save(tensors, to: url)
    }
}

/// A seeded source of approximately normal noise (sum of uniforms), for synthetic weights.
struct Noise {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func uniform() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24)
    }
    mutating func next() -> Float { (uniform() + uniform() + uniform() + uniform() - 2) * 1.732 }
}
