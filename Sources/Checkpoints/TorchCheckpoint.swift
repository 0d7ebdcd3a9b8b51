import Foundation
import Tensors

/// A `torch.save` zip archive read without executing any pickle code. (Placeholder until the
/// safe unpickler lands: it refuses every archive.)
public final class TorchCheckpoint: CheckpointReader, @unchecked Sendable {
    public let url: URL
    public var format: CheckpointFormat { .pytorchZip }
    public let tensors: [TensorInfo] = []
    public let metadata: [String: String] = [:]

    public init(url: URL, file: MappedFile) throws {
        self.url = url
        throw CheckpointError.unrecognizedFormat(path: url.path, hint: "PyTorch zip archives are not supported yet")
    }

    public convenience init(url: URL) throws {
        try self.init(url: url, file: try MappedFile(url: url))
    }

    public func read(_ name: String) throws -> StoredTensor {
        throw CheckpointError.tensorNotFound(path: url.path, tensor: name)
    }
}
