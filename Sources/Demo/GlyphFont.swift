import CGlyphs
import Foundation

/// A font face opened with FreeType, rendering one character at a time into a coverage map.
public final class GlyphFont: @unchecked Sendable {
    /// The font file.
    public let url: URL
    private let handle: OpaquePointer
    private let lock = NSLock()

    /// Opens the font at `url`.
    /// - Throws: ``DemoError/font(path:reason:)`` when FreeType cannot open it.
    public init(url: URL) throws {
        var error: Int32 = 0
        guard let h = lines_font_open(url.path, &error) else {
            throw DemoError.font(path: url.path, reason: "FreeType cannot open it (error \(error))")
        }
        self.url = url
        handle = h
    }

    deinit { lines_font_close(handle) }

    /// Draws `character` into `canvas` (`side`×`side` coverage, 0…255, the maximum with what is
    /// there), ink box centred at (`cx`, `cy`), `size` pixels tall, under the 2×2 map `m`
    /// (x-x, x-y, y-x, y-y; y up).
    /// - Returns: false when the face has no glyph for the character.
    @discardableResult
    public func draw(_ character: Unicode.Scalar, size: Double, matrix m: [Double] = [1, 0, 0, 1], cx: Double, cy: Double,
                     into canvas: inout [UInt8], side: Int) throws -> Bool {
        precondition(canvas.count == side * side && m.count == 4)
        lock.lock()
        defer { lock.unlock() }
        let status = m.withUnsafeBufferPointer { mp in
            canvas.withUnsafeMutableBufferPointer { out in
                lines_font_render(handle, character.value, size, mp.baseAddress, cx, cy, out.baseAddress, Int32(side))
            }
        }
        if status < 0 {
            throw DemoError.font(path: url.path, reason: "FreeType failed to render U+\(String(character.value, radix: 16, uppercase: true)) (error \(-status))")
        }
        return status == 0
    }
}
