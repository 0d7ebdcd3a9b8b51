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
            let url = destination.appendingPathComponent(target)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw TarExtractor.Refusal(description: "cannot create \(url.deletingLastPathComponent().path) (\(error.localizedDescription))")
            }
            guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
                throw TarExtractor.Refusal(description: "cannot write \(url.path)")
            }
            defer { try? handle.close() }
            // The declared size bounds what is written: a member that inflates past it is a bomb.
            var written: UInt64 = 0
            let declared = UInt64(entry.uncompressedSize)
            do {
                let crc = try zip.extract(entry, skipCRC32: false) { data in
                    written += UInt64(data.count)
                    guard written <= declared else { throw Overrun() }
                    try handle.write(contentsOf: data)
                }
                guard crc == entry.checksum, written == declared else {
                    throw TarExtractor.Refusal(description: "\(name) member '\(TarExtractor.printable(entry.path))' fails its CRC-32 or size check (damaged); nothing was kept")
                }
            } catch let r as TarExtractor.Refusal {
                throw r
            } catch is Overrun {
                throw TarExtractor.Refusal(description: "\(name) member '\(TarExtractor.printable(entry.path))' inflates past the \(declared) bytes it declares; refused as an archive bomb")
            } catch {
                throw TarExtractor.Refusal(description: "\(name) member '\(TarExtractor.printable(entry.path))' cannot be extracted (\(error))")
            }
        }
        return chosen.count
    }
}

/// A zip member that inflated past its declared size.
private struct Overrun: Error {}
