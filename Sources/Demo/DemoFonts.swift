import Foundation

/// The fonts the demo's glyph tasks are rendered from: the TrueType faces of Debian's
/// `fonts-dejavu-core`, `fonts-dejavu-extra` and `fonts-liberation` (37 faces: sans, serif,
/// monospace, condensed and narrow, in regular, bold, oblique and light weights).
///
/// The list is fixed, so the same images come out on every machine; a missing face is an
/// error naming the packages.
public struct DemoFonts: @unchecked Sendable {
    /// Where Debian installs TrueType fonts.
    public static let root = URL(fileURLWithPath: "/usr/share/fonts/truetype")

    /// The faces, relative to ``root``.
    public static let files: [String] = {
        let dejavu = ["DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-BoldOblique", "DejaVuSans-ExtraLight", "DejaVuSans-Oblique",
                      "DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "DejaVuSansCondensed-BoldOblique", "DejaVuSansCondensed-Oblique",
                      "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-BoldOblique", "DejaVuSansMono-Oblique",
                      "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-BoldItalic", "DejaVuSerif-Italic",
                      "DejaVuSerifCondensed", "DejaVuSerifCondensed-Bold", "DejaVuSerifCondensed-BoldItalic", "DejaVuSerifCondensed-Italic"]
        let liberation = ["Mono", "Sans", "SansNarrow", "Serif"].flatMap { f in
            ["Regular", "Bold", "Italic", "BoldItalic"].map { "Liberation\(f)-\($0)" }
        }
        return dejavu.map { "dejavu/\($0).ttf" } + liberation.map { "liberation/\($0).ttf" }
    }()

    /// The opened faces, in ``files`` order.
    public let faces: [GlyphFont]

    /// Opens every face under `root`.
    /// - Throws: ``DemoError/font(path:reason:)`` for the first missing or unreadable face.
    public init(root: URL = DemoFonts.root) throws {
        faces = try Self.files.map { name in
            let url = root.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { throw DemoError.font(path: url.path, reason: "not found") }
            return try GlyphFont(url: url)
        }
    }
}
