import Foundation
import Tensors

/// A checkpoint being written: layout fixed up front, tensors streamed in any order, then
/// committed atomically (nothing appears at the destination unless ``finish()`` succeeds).
public protocol TensorWriter {
    /// Where the checkpoint will appear.
    var url: URL { get }
    /// Writes one tensor; dtype and shape must match the declared layout.
    mutating func write(_ name: String, _ tensor: StoredTensor) throws
    /// Encodes `Float` values as the tensor's declared dtype and writes them.
    mutating func write(_ name: String, floats: UnsafeBufferPointer<Float>) throws
    /// Writes part of a tensor: `bytes` in its declared dtype at byte `offset` of its data. Safe
    /// from several threads at once on disjoint ranges; then ``markWritten(_:)``.
    func writePart(_ name: String, bytes: UnsafeRawBufferPointer, at offset: Int) throws
    /// Starts writing bytes `range` of `name`'s data back to disk without waiting (part of it
    /// written with ``writePart(_:bytes:at:)``); the final fsync then has less left to do.
    func startWriteback(_ name: String, bytes range: Range<Int>)
    /// Records that all of `name` was written with ``writePart(_:bytes:at:)``.
    mutating func markWritten(_ name: String)
    /// Checks that every declared tensor was written, then makes the output durable and visible.
    func finish() throws
    /// Discards everything written so far.
    func abandon()
}

/// Opens the right writer for a destination: a `.safetensors` file, or a folder of HF-style
/// shards when `url` has no `.safetensors` extension or `maxShardSize` is given.
///
/// - Parameters:
///   - tensors: every tensor that will be written, with its dtype and shape.
///   - maxShardSize: bytes per shard (HF rule: start a new shard when the next tensor would
///     pass it); `nil` writes a single file.
public func makeTensorWriter(
    url: URL, tensors: [TensorInfo], metadata: [String: String]? = ["format": "pt"], maxShardSize: Int? = nil
) throws -> any TensorWriter {
    if maxShardSize != nil || url.pathExtension != "safetensors" {
        return try ShardedSafetensorsWriter(folder: url, tensors: tensors, metadata: metadata,
                                            maxShardSize: maxShardSize ?? ShardedSafetensorsWriter.defaultMaxShardSize)
    }
    return try SafetensorsWriter(url: url, tensors: tensors, metadata: metadata)
}
