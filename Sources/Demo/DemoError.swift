import Foundation

/// What can stop the demo before its experiments, in one sentence each.
public enum DemoError: Error, CustomStringConvertible, Equatable {
    /// A font file is missing or unreadable.
    case font(path: String, reason: String)
    /// The shipped pre-trained weights are not the ones the demo was built with.
    case pretrainedChecksum(path: String, expected: String, found: String)
    /// The shipped pre-trained weights are missing from the build.
    case pretrainedMissing(String)

    public var description: String {
        switch self {
        case let .font(path, reason):
            return "font \(path): \(reason) (the demo's glyph tasks need Debian's fonts: apt-get install -y fonts-dejavu-core fonts-dejavu-extra fonts-liberation)"
        case let .pretrainedChecksum(path, expected, found):
            return "\(path): sha256 \(found), expected \(expected): the embedded pre-trained model was changed; rebuild it with `lines demo --pretrain` and update DemoPretrained.sha256"
        case let .pretrainedMissing(what):
            return "the embedded pre-trained model is missing (\(what)); rebuild it with `lines demo --pretrain`"
        }
    }
}
