import Foundation
import Tensors

/// A checkpoint held in memory (float32 tensors), for models built on the fly — a merged model
/// at one coefficient — and read by the same code as files.
public final class MemoryCheckpoint: CheckpointReader, @unchecked Sendable {
    public let url: URL
    public let format: CheckpointFormat = .safetensors
    public let tensors: [TensorInfo]
    public let metadata: [String: String] = [:]
    private let storage: [String: Tensor]

    /// A checkpoint of `tensors` (in this order); `url` names it in messages.
    public init(url: URL, tensors: [(name: String, tensor: Tensor)]) {
        self.url = url
        self.tensors = tensors.map { TensorInfo(name: $0.name, dtype: .f32, shape: $0.tensor.shape) }
        var storage: [String: Tensor] = [:]
        for (name, tensor) in tensors { storage[name] = tensor }
        self.storage = storage
    }

    public func read(_ name: String) throws -> StoredTensor {
        StoredTensor(try readFloat(name))
    }

    public func readFloat(_ name: String) throws -> Tensor {
        guard let t = storage[name] else { throw CheckpointError.tensorNotFound(path: url.path, tensor: name) }
        return t
    }
}
