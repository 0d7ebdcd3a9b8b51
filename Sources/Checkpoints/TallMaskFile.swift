import Foundation

/// TALL mask files in the reference's `.npy` format (a pickled dict task → `np.packbits` array).
///
/// STUB on branch `merge`: the real implementation is written on branch `torch` and replaces this
/// file at merge time. Both functions throw until then.
public enum TallMaskFile {
    /// Reads a `TALL_mask_{T}task.npy` dict of packed masks.
    public static func read(_ url: URL) throws -> [(task: String, packedBits: [UInt8])] {
        throw CheckpointError.numpy(path: url.path, reason: ".npy TALL mask files are not yet supported; use a .safetensors mask file")
    }

    /// Writes packed masks as a `.npy` dict readable by `np.load(allow_pickle=True).item()`.
    public static func write(_ masks: [(task: String, packedBits: [UInt8])], to url: URL) throws {
        throw CheckpointError.numpy(path: url.path, reason: ".npy TALL mask files are not yet supported; use a .safetensors mask file")
    }
}
