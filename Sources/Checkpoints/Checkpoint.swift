import Foundation

/// Opens any checkpoint format by looking at its bytes, not its name.
public enum Checkpoint {
    /// Opens `url` as whichever supported format it holds.
    ///
    /// - A folder, or a `*.index.json`: a sharded checkpoint (or a folder with a single
    ///   `model.safetensors` / `pytorch_model.bin`).
    /// - A zip (`PK\u{3}\u{4}`): a `torch.save` archive (TorchScript is refused with advice).
    /// - Otherwise a safetensors file, when the first 8 bytes are a plausible header length
    ///   followed by `{`.
    /// - Throws: ``CheckpointError/unrecognizedFormat(path:hint:)`` saying what the file looks like.
    public static func open(_ url: URL) throws -> any CheckpointReader {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw CheckpointError.io(path: url.path, reason: "no such file or folder")
        }
        if isDir.boolValue {
            let entries = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
            if entries.contains(where: { $0.hasSuffix(".index.json") }) { return try ShardedCheckpoint(url: url) }
            for single in ["model.safetensors", "pytorch_model.bin"] where entries.contains(single) {
                return try open(url.appendingPathComponent(single))
            }
            let candidates = entries.filter { $0.hasSuffix(".safetensors") }
            if candidates.count == 1 { return try open(url.appendingPathComponent(candidates[0])) }
            throw CheckpointError.unrecognizedFormat(path: url.path, hint: "a folder with no *.index.json, model.safetensors or pytorch_model.bin")
        }
        if url.lastPathComponent.hasSuffix(".index.json") { return try ShardedCheckpoint(url: url) }
        if url.pathExtension == "safetensors" { return try SafetensorsFile(url: url) }
        let file = try MappedFile(url: url)
        let head = file.copy(0..<min(file.count, 16)) ?? []
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try TorchCheckpoint(url: url, file: file)
        }
        let torchNames: Set<String> = ["pt", "pth", "bin", "ckpt"]
        let length = head.count >= 8 ? head.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } : 0
        if head.count >= 9, head[8] == UInt8(ascii: "{") || head[8] == UInt8(ascii: " "),
           !torchNames.contains(url.pathExtension.lowercased()) || length <= UInt64(file.count) {
            return try SafetensorsFile(url: url)
        }
        if torchNames.contains(url.pathExtension.lowercased()) {
            throw CheckpointError.unrecognizedFormat(path: url.path, hint: "named like a torch.save archive but not a zip: \(describe(head: head, path: url.path))")
        }
        throw CheckpointError.unrecognizedFormat(path: url.path, hint: describe(head: head, path: url.path))
    }

    /// Says what an unsupported file looks like, with a conversion hint.
    static func describe(head: [UInt8], path: String) -> String {
        if head.starts(with: [0x80]) && head.count > 1 && head[1] <= 5 {
            // Legacy torch.save starts with its magic number 0x1950a86a20f9469cfc6c pickled as
            // LONG1 of 10 bytes: 80 02 8a 0a 6c fc 9c 46 f9 20 6a a8 50 19.
            let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
            if head.starts(with: magic) {
                return "a legacy (pre-1.6, non-zip) torch.save file; re-save it with a current PyTorch: torch.save(torch.load(f, weights_only=False), f2)"
            }
            return "a raw pickle stream (pickle.dump), not a torch.save zip archive; load it in Python and save the state dict with safetensors.torch.save_file"
        }
        if head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            return "a NumPy .npy file (use it as a TALL mask file with --masks)"
        }
        if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return "an HDF5 file (Keras .h5?); convert it to safetensors first" }
        if head.starts(with: Array("GGUF".utf8)) { return "a GGUF file (llama.cpp); convert it to safetensors first" }
        if head.starts(with: [0x08]) || head.starts(with: [0x0A]) { return "possibly an ONNX/protobuf file; only safetensors, sharded safetensors and torch.save zip archives are read" }
        if head.count < 8 { return "the file is only \(head.count) bytes" }
        if head.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return "it starts as plain text (\"\(String(decoding: head.prefix(12), as: UTF8.self))…\"), not a checkpoint"
        }
        return "not safetensors (no JSON header after the 8-byte length), not a zip archive; supported: .safetensors, sharded *.index.json folders, torch.save .pt/.pth/.bin"
    }
}
