import Crypto
import Foundation

/// The embedded default's pre-trained model: the demo's ViT pre-trained once on the
/// pre-training mixture (``DemoSuite/pretrainClasses``) by `lines demo --pretrain`, shipped in
/// the package as `Resources/pretrained.safetensors` and checked against ``sha256`` at load.
public enum DemoPretrained {
    /// The sha256 of the shipped file (lower-case hex).
    public static let sha256 = "d1d15789a9b421e68d038a93579819a6bcfbd51645eea5675252ba9197253dac"

    /// The shipped file.
    /// - Throws: ``DemoError/pretrainedMissing(_:)`` when the build has no such resource.
    public static func url() throws -> URL {
        guard let url = Bundle.module.url(forResource: "pretrained", withExtension: "safetensors") else {
            throw DemoError.pretrainedMissing("no pretrained.safetensors in \(Bundle.module.bundlePath)")
        }
        return url
    }

    /// The sha256 of a file's bytes (lower-case hex).
    public static func digest(of url: URL) throws -> String {
        digest(try Data(contentsOf: url, options: .alwaysMapped))
    }

    static func digest(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// The shipped file's bytes, read once and checked against ``sha256``.
    /// - Throws: ``DemoError/pretrainedChecksum(path:expected:found:)`` when they differ.
    public static func verifiedBytes() throws -> Data {
        let url = try url()
        let data = try Data(contentsOf: url)
        let found = digest(data)
        guard found == sha256 else { throw DemoError.pretrainedChecksum(path: url.path, expected: sha256, found: found) }
        return data
    }

    /// The shipped file, after checking its sha256.
    /// - Throws: ``DemoError/pretrainedChecksum(path:expected:found:)`` when it differs.
    public static func verified() throws -> URL {
        _ = try verifiedBytes()
        return try url()
    }
}
