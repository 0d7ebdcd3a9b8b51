import Foundation

/// torchvision's `datasets.ImageFolder` scan: class folders sorted by name (label = position),
/// then, per class, every file under it (`os.walk` with links followed, folders and files sorted)
/// that has an image extension or passes a filter.
public struct ImageFolder: Sendable {
    /// The extensions torchvision accepts (`IMG_EXTENSIONS`), compared case-insensitively.
    public static let imageExtensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    /// The class folder names, sorted as Python sorts strings (by code point).
    public var classes: [String]
    /// `(file, label)` in torchvision's order.
    public var samples: [(url: URL, label: Int)]

    /// Scans `root`.
    /// - Parameters:
    ///   - task: named in errors.
    ///   - isValidFile: torchvision's `is_valid_file` (applied to the full path); `nil` keeps files with an image extension.
    /// - Throws: ``DatasetError/missing(task:path:expected:)`` when `root` or every class folder is
    ///   absent, or when a class folder has no valid file (torchvision refuses that too).
    public init(root: URL, task: String, isValidFile: ((String) -> Bool)? = nil) throws {
        let fm = FileManager.default
        guard Self.isDirectory(root.path) else {
            throw DatasetError.missing(task: task, path: root.path, expected: "a folder with one sub-folder per class")
        }
        let entries = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        let classes = entries.filter { Self.isDirectory(root.appendingPathComponent($0).path) }.sorted(by: Self.pythonLess)
        guard !classes.isEmpty else {
            throw DatasetError.missing(task: task, path: root.path, expected: "at least one class sub-folder")
        }
        var samples: [(URL, Int)] = []
        for (label, name) in classes.enumerated() {
            let folder = root.appendingPathComponent(name)
            var walk: [(String, [String])] = []
            Self.walk(folder.path, into: &walk)
            walk.sort { Self.pythonLess($0.0, $1.0) }
            var found = 0
            for (dir, files) in walk {
                for file in files.sorted(by: Self.pythonLess) {
                    let path = dir + "/" + file
                    let ok = isValidFile?(path) ?? Self.imageExtensions.contains { file.lowercased().hasSuffix($0) }
                    if ok {
                        samples.append((URL(fileURLWithPath: path), label))
                        found += 1
                    }
                }
            }
            guard found > 0 else {
                throw DatasetError.missing(task: task, path: folder.path, expected: "at least one image file in every class folder")
            }
        }
        self.classes = classes
        self.samples = samples
    }

    /// Python's `str` ordering: code point by code point.
    static func pythonLess(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// `os.walk(path, followlinks=True)`: each folder with its plain files.
    private static func walk(_ path: String, into out: inout [(String, [String])], depth: Int = 0) {
        guard depth < 64, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        var files: [String] = []
        var dirs: [String] = []
        for name in names {
            let full = path + "/" + name
            if isDirectory(full) { dirs.append(name) } else { files.append(name) }
        }
        out.append((path, files))
        for d in dirs { walk(path + "/" + d, into: &out, depth: depth + 1) }
    }
}
