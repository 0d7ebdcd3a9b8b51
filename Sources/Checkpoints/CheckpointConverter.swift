import Foundation
import Tensors

/// Copies any readable checkpoint into a safetensors file or a sharded folder, one tensor at a
/// time, optionally casting floating-point tensors to another dtype.
public enum CheckpointConverter {
    /// Converts `reader` to `output`.
    ///
    /// Tensors keep the reader's order for sharding; each shard's byte layout is the canonical
    /// one of `safetensors.torch.save_file`. Non-floating tensors (I64, BOOL, …) are never cast.
    /// - Parameters:
    ///   - dtype: target dtype for floating-point tensors, or `nil` to keep each tensor's own.
    ///   - maxShardSize: write a sharded folder with this byte limit per shard.
    ///   - progress: called after each tensor with (done, total).
    public static func convert(
        _ reader: any CheckpointReader, to output: URL, dtype: DType? = nil, maxShardSize: Int? = nil,
        metadata: [String: String]? = ["format": "pt"], progress: ((Int, Int) -> Void)? = nil
    ) throws {
        if let dtype, !dtype.isFloatingPoint || !dtype.isConvertible {
            throw CheckpointError.unsupportedDType(path: output.path, tensor: "*", dtype: "\(dtype.rawValue) (--dtype takes F32, F16, BF16 or F64)")
        }
        try OutputSafety.check(output: output, inputs: [reader.url], flag: "the output")
        let plan = reader.tensors.map { t -> TensorInfo in
            var t = t
            if let dtype, t.dtype.isFloatingPoint, t.dtype.isConvertible { t.dtype = dtype }
            return t
        }
        var writer = try makeTensorWriter(url: output, tensors: plan, metadata: metadata, maxShardSize: maxShardSize)
        do {
            for (i, t) in plan.enumerated() {
                var stored = try reader.read(t.name)
                if stored.dtype != t.dtype { stored = try stored.converted(to: t.dtype) }
                try writer.write(t.name, stored)
                reader.evict(t.name)
                progress?(i + 1, plan.count)
            }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }
}
