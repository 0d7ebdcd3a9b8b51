import Foundation
import Checkpoints

/// A merge's output file, written tensor by tensor in flattening order as the passes produce it.
///
/// A single safetensors file whose layout is the flattening order (one dtype: names sorted) gets
/// each finished tensor appended front to back, with direct I/O where the file system allows it
/// (``SafetensorsWriter/append(_:floats:)``). Another single file has its F32 tensors written in
/// place by the workers, part by part, as each chunk is computed (``inPlaceOffset(_:)``); the rest
/// goes through ``TensorWriter/write(_:floats:)``.
struct _Output {
    private var writer: any TensorWriter
    private var file: SafetensorsWriter?
    private let sequential: Bool
    /// Absolute file offset of each tensor's F32 data where the workers write it in place.
    private let inPlace: [Int?]

    /// - Parameter tensors: the tensors to write (default: the inputs', in θ0's dtypes).
    init(url: URL, inputs: MergeInputs, tensors: [TensorInfo]? = nil, allowInPlace: Bool = true) throws {
        let tensors = tensors ?? inputs.tensors
        let writer = try makeTensorWriter(url: url, tensors: tensors)
        let file = writer as? SafetensorsWriter
        let sequential = file.map { $0.layout.map(\.name) == tensors.map(\.name) } ?? false
        self.writer = writer
        self.file = file
        self.sequential = sequential
        inPlace = tensors.map { sequential || !allowInPlace ? nil : file?.f32DataOffset($0.name) }
    }

    /// Where the workers write tensor `key`'s values themselves (file offset of value 0), if so.
    func inPlaceOffset(_ key: Int) -> Int? { inPlace[key] }

    /// Writes `count` values of tensor `key` at value `start`, from a worker (in-place tensors only).
    func writePart(_ values: UnsafeBufferPointer<Float>, key: Int, at start: Int) throws {
        guard let offset = inPlace[key], let file else { return }
        try file.writeF32Part(values, atFile: offset + 4 * start)
    }

    /// Tensor `info` (index `key`) is complete: `values` holds all of it (ignored for in-place tensors).
    mutating func finishTensor(_ info: TensorInfo, key: Int, values: UnsafeBufferPointer<Float>) throws {
        if sequential {
            try file!.append(info.name, floats: values)
        } else if inPlace[key] != nil {
            file?.markWritten(info.name)
        } else if file != nil {
            try file!.write(info.name, floats: values)
        } else {
            try writer.write(info.name, floats: values)
        }
    }

    /// Fsyncs and renames the file into place.
    func commit() throws {
        if let file { try file.finish() } else { try writer.finish() }
    }

    /// Deletes the temporary file.
    func abandon() {
        if let file { file.abandon() } else { writer.abandon() }
    }
}
