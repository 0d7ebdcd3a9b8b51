/// Everything that can be wrong with a checkpoint on disk, with where and what.
///
/// Each case names the file; tensor-level cases name the tensor, and byte-level cases the offset,
/// so that a user can find the problem without a debugger.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened, read, mapped or written.
    case io(path: String, reason: String)
    /// The file's format is not one we read; `hint` says what it is and how to convert it.
    case unrecognizedFormat(path: String, hint: String)
    /// safetensors: the file is shorter than the 8-byte header length.
    case headerTooSmall(path: String, size: Int)
    /// safetensors: the declared header length exceeds 100,000,000 bytes.
    case headerTooLarge(path: String, length: UInt64)
    /// safetensors: the declared header length runs past the end of the file.
    case invalidHeaderLength(path: String, length: UInt64, fileSize: Int)
    /// The header (safetensors JSON, shard index JSON) is malformed; `reason` says where.
    case invalidHeader(path: String, reason: String)
    /// A tensor's data offsets leave a gap, overlap or run backwards.
    case invalidOffset(path: String, tensor: String, offset: Int, expected: Int)
    /// A tensor's byte length disagrees with dtype × shape.
    case tensorInvalidInfo(path: String, tensor: String, expectedBytes: Int, foundBytes: Int)
    /// dtype × shape overflows 64-bit arithmetic (e.g. a hostile 100 GB shape).
    case validationOverflow(path: String, tensor: String, shape: [Int])
    /// Sub-byte dtype whose bytes cannot be addressed.
    case misalignedSlice(path: String, tensor: String, dtype: String)
    /// The data buffer is longer or shorter than the tensors it holds.
    case metadataIncompleteBuffer(path: String, expected: Int, found: Int)
    /// A tensor name occurs twice.
    case duplicateTensor(path: String, tensor: String)
    /// The tensor is not in the checkpoint.
    case tensorNotFound(path: String, tensor: String)
    /// The dtype string is unknown, or the dtype cannot be converted to float32.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// Pickle: an opcode or global outside the allow-list, or a malformed stream.
    case unsafePickle(path: String, offset: Int, opcode: String, detail: String)
    /// Pickle: structurally valid but not a checkpoint we understand.
    case malformedPickle(path: String, offset: Int, reason: String)
    /// ZIP container damaged or unsupported.
    case malformedArchive(path: String, reason: String)
    /// A storage record is missing or too short for the tensor viewing it.
    case storageOutOfBounds(path: String, tensor: String, storage: String, needed: Int, available: Int)
    /// A shard named in an index is missing or inconsistent.
    case shard(path: String, reason: String)
    /// A NumPy `.npy` file is malformed or holds something other than expected.
    case numpy(path: String, reason: String)

    public var description: String {
        switch self {
        case let .io(p, r): return "\(p): \(r)"
        case let .unrecognizedFormat(p, h): return "\(p): unrecognized checkpoint format: \(h)"
        case let .headerTooSmall(p, s): return "\(p): safetensors file is \(s) bytes, too small for the 8-byte header length (HeaderTooSmall)"
        case let .headerTooLarge(p, n): return "\(p): safetensors header length \(n) exceeds the 100000000-byte limit (HeaderTooLarge)"
        case let .invalidHeaderLength(p, n, s): return "\(p): safetensors header length \(n) at offset 0 runs past the end of the \(s)-byte file (InvalidHeaderLength)"
        case let .invalidHeader(p, r): return "\(p): invalid header: \(r)"
        case let .invalidOffset(p, t, o, e): return "\(p): tensor '\(t)' starts at data offset \(o) but the previous tensor ends at \(e); tensors must be contiguous with no gaps or overlaps (InvalidOffset)"
        case let .tensorInvalidInfo(p, t, e, f): return "\(p): tensor '\(t)' spans \(f) bytes but its dtype and shape need \(e) (TensorInvalidInfo)"
        case let .validationOverflow(p, t, s): return "\(p): tensor '\(t)' with shape \(s) overflows 64-bit size arithmetic (ValidationOverflow)"
        case let .misalignedSlice(p, t, d): return "\(p): tensor '\(t)' has sub-byte dtype \(d) whose size is not a whole number of bytes (MisalignedSlice)"
        case let .metadataIncompleteBuffer(p, e, f): return "\(p): data buffer is \(f) bytes but the tensors cover \(e) (MetadataIncompleteBuffer)"
        case let .duplicateTensor(p, t): return "\(p): tensor '\(t)' appears more than once"
        case let .tensorNotFound(p, t): return "\(p): no tensor named '\(t)'"
        case let .unsupportedDType(p, t, d): return "\(p): tensor '\(t)' has dtype \(d), which is not supported here"
        case let .unsafePickle(p, o, op, d): return "\(p): refused pickle opcode \(op) at byte \(o): \(d); this reader executes no code and accepts only what checkpoints use"
        case let .malformedPickle(p, o, r): return "\(p): malformed pickle at byte \(o): \(r)"
        case let .malformedArchive(p, r): return "\(p): malformed zip archive: \(r)"
        case let .storageOutOfBounds(p, t, s, n, a): return "\(p): tensor '\(t)' needs \(n) bytes of storage '\(s)' but the record holds \(a)"
        case let .shard(p, r): return "\(p): \(r)"
        case let .numpy(p, r): return "\(p): \(r)"
        }
    }
}
