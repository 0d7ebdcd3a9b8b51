import Foundation

/// Where the repository, its committed fixtures and the machine's shared real data are.
public enum TestPaths {
    /// The repository root (two levels above this file).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures`, written by the scripts under `Scripts/fixtures`.
    public static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// The shared real data, `../shared/data` from the repository root; absent on some machines.
    public static let sharedData = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
}

/// Whether `path` exists under ``TestPaths/sharedData`` (tests that need it are skipped otherwise).
public func sharedDataExists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: TestPaths.sharedData.appendingPathComponent(path).path)
}

/// A fresh empty folder under the system's temporary directory, named `lines-{tag}-{UUID}`.
public func temporaryFolder(_ tag: String = "tests") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
