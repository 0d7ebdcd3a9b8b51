import Foundation

/// Extracts a tar stream (ustar, GNU long names, pax `path`) into a folder, fed chunk by chunk.
/// Nothing is written outside the folder: absolute names, `..` components, links of any kind
/// and device nodes are refused (one sentence naming the member), and the total size is bounded.
struct TarExtractor {
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    let destination: URL
    let archive: String
    /// The most bytes all members together may hold.
    let limit: Int64
    /// Maps a file member's (safe) path to where it goes under `destination`, or nil to skip it
    /// (its bytes are read past, not written, not counted). Folders are then made only as files need them.
    var select: ((String) -> String?)?
    private var header = [UInt8]()
    private var pendingName: String?
    private var current: (handle: FileHandle?, left: Int64, padding: Int64, collect: Bool)?
    private var collected = [UInt8]()
    private var collectKind: UInt8 = 0
    private(set) var total: Int64 = 0
    private(set) var files = 0
    private var finished = false
    /// Whether the end-of-archive blocks were read.
    var isFinished: Bool { finished }

    init(destination: URL, archive: String, limit: Int64) {
        self.destination = destination
        self.archive = archive
        self.limit = limit
    }

    mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
        var p = 0
        while p < bytes.count, !finished {
            if var c = current {
                if c.left > 0 {
                    let n = Int(min(Int64(bytes.count - p), c.left))
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[p..<(p + n)])
                    if c.collect {
                        collected.append(contentsOf: slice)
                    } else if let h = c.handle {
                        try h.write(contentsOf: Data(slice))
                    }
                    c.left -= Int64(n); p += n
                    current = c
                    continue
                }
                if c.padding > 0 {
                    let n = Int(min(Int64(bytes.count - p), c.padding))
                    c.padding -= Int64(n); p += n
                    current = c
                    continue
                }
                try c.handle?.close()
                if c.collect { try finishCollected() }
                current = nil
                continue
            }
            let n = min(512 - header.count, bytes.count - p)
            header.append(contentsOf: bytes[p..<(p + n)])
            p += n
            if header.count == 512 {
                try startMember()
                header.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Closes the last member; the stream must have ended where a member ends.
    mutating func finish() throws {
        guard header.isEmpty || finished else { throw Refusal(description: "\(archive) ends inside a member's header (truncated)") }
        if let c = current {
            guard c.left == 0 else { throw Refusal(description: "\(archive) ends inside a member (truncated)") }
            try c.handle?.close()
            if c.collect { try finishCollected() }
            current = nil
        }
    }

    private mutating func startMember() throws {
        if header.allSatisfy({ $0 == 0 }) { finished = true; return }
        func field(_ o: Int, _ l: Int) -> String {
            let raw = header[o..<(o + l)]
            let end = raw.firstIndex(of: 0) ?? raw.endIndex
            return String(decoding: raw[raw.startIndex..<end], as: UTF8.self)
        }
        var sum = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        guard Int(field(148, 8).trimmingCharacters(in: CharacterSet(charactersIn: " \0")), radix: 8) == sum else {
            throw Refusal(description: "\(archive) is not a tar archive (a header checksum fails after \(files) members)")
        }
        let sizeText = field(124, 12).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        guard let size = Int64(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else {
            throw Refusal(description: "\(archive) has a member with an unreadable size")
        }
        let type = header[156]
        var name = field(0, 100)
        // POSIX ustar keeps a name prefix at 345 (GNU's "ustar  " keeps times there).
        if Array(header[257..<263]) == Array("ustar\0".utf8), !field(345, 155).isEmpty { name = field(345, 155) + "/" + name }
        if let long = pendingName { name = long; pendingName = nil }
        let padding = (512 - size % 512) % 512
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            // A GNU long name, or pax attributes, for the next member (global ones are ignored).
            guard size <= 1 << 20 else { throw Refusal(description: "\(archive) has a \(size)-byte name record") }
            collectKind = type
            collected.removeAll()
            current = (nil, size, padding, true)
            return
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"), UInt8(ascii: "5"):
            break
        default:
            throw Refusal(description: "\(archive) member '\(Self.printable(name))' is a link or a special file (type '\(Character(UnicodeScalar(type)))'); archives may hold only files and folders")
        }
        // The archive's own root ("./") is no member to write.
        if name.split(separator: "/").allSatisfy({ $0 == "." }) && (type == UInt8(ascii: "5") || name.hasSuffix("/")) {
            current = (nil, size, padding, false)
            return
        }
        var rel = try Self.safePath(name, archive: archive)
        let isFolder = type == UInt8(ascii: "5") || name.hasSuffix("/")
        if let select, !isFolder {
            guard let chosen = select(rel) else {
                current = (nil, size, padding, false)
                return
            }
            rel = try Self.safePath(chosen, archive: archive)
        } else if select != nil {
            current = (nil, size, padding, false)
            return
        }
        let target = destination.appendingPathComponent(rel)
        if isFolder {
            do { try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true) } catch {
                throw Refusal(description: "cannot create \(target.path) (\(error.localizedDescription))")
            }
            current = (nil, size, padding, false)
            return
        }
        total += size
        guard total <= limit else { throw Refusal(description: "\(archive) expands past \(limit) bytes; refused as an archive bomb") }
        do { try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true) } catch {
            throw Refusal(description: "cannot create \(target.deletingLastPathComponent().path) (\(error.localizedDescription))")
        }
        guard FileManager.default.createFile(atPath: target.path, contents: nil), let h = FileHandle(forWritingAtPath: target.path) else {
            throw Refusal(description: "cannot write \(target.path)")
        }
        files += 1
        current = (h, size, padding, false)
    }

    private mutating func finishCollected() throws {
        if collectKind == UInt8(ascii: "L") {
            pendingName = String(decoding: collected.prefix { $0 != 0 }, as: UTF8.self)
        } else if collectKind == UInt8(ascii: "x") {
            // Records "LEN key=value\n"; only path matters here.
            let text = String(decoding: collected, as: UTF8.self)
            for line in text.split(separator: "\n") {
                if let space = line.firstIndex(of: " "), line[line.index(after: space)...].hasPrefix("path=") {
                    pendingName = String(line[line.index(after: space)...].dropFirst(5))
                }
            }
        }
        collected.removeAll()
    }

    /// A member's path inside the folder, or a refusal.
    static func safePath(_ name: String, archive: String) throws -> String {
        let parts = name.split(separator: "/").filter { $0 != "." }
        guard !name.hasPrefix("/"), !parts.isEmpty, !parts.contains(".."), !name.contains("\0") else {
            throw Refusal(description: "\(archive) member '\(Self.printable(name))' would be written outside its folder; refused")
        }
        return parts.joined(separator: "/")
    }

    static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
    }
}
