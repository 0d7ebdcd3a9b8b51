import Foundation
import ZIPFoundation

/// Extracts the members of a `.zip` (ZIPFoundation: stored and deflated, CRC-32 checked) into a
/// folder. Absolute names, `..` components and links are refused, and the declared sizes of the
/// selected members together are bounded, before anything is written.
enum ZipExtractor {
    /// Extracts the members `select` maps to a path (nil: skipped) under `destination`.
    /// - Returns: how many files were written.
    static func extract(_ archive: URL, into destination: URL, limit: Int64, select: (String) -> String? = { $0 }) throws -> Int {
        let name = archive.lastPathComponent
        let zip: Archive
        do { zip = try Archive(url: archive, accessMode: .read) } catch {
            throw TarExtractor.Refusal(description: "\(name) is not a zip archive (\(error))")
        }
        var chosen: [(Entry, String)] = []
        var total: Int64 = 0
        for entry in zip {
            guard entry.type != .symlink else {
                throw TarExtractor.Refusal(description: "\(name) member '\(TarExtractor.printable(entry.path))' is a link; archives may hold only files and folders")
            }
            let rel = try TarExtractor.safePath(entry.path, archive: name)
            guard entry.type == .file, let target = select(rel) else { continue }
            total += Int64(clamping: entry.uncompressedSize)
            guard total <= limit else { throw TarExtractor.Refusal(description: "\(name) expands past \(limit) bytes; refused as an archive bomb") }
            chosen.append((entry, target))
        }
        for (entry, target) in chosen {
            do { _ = try zip.extract(entry, to: destination.appendingPathComponent(target)) } catch {
                throw TarExtractor.Refusal(description: "\(name) member '\(TarExtractor.printable(entry.path))' cannot be extracted (\(error))")
            }
        }
        return chosen.count
    }
}
