import CImageCodecs

/// Calls the C shims over libjpeg-turbo and libpng and converts their samples to RGB the way
/// Pillow's `convert("RGB")` does.
enum _CodecBridge {
    static func decodeJPEG(_ data: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        try decode(data, name: name, kind: .jpeg, lines_jpeg_decode)
    }

    static func decodePNG(_ data: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        try decode(data, name: name, kind: .png, lines_png_decode)
    }

    private typealias Decoder = (UnsafePointer<UInt8>?, Int, Int, UnsafeMutablePointer<lines_decoded_image>?) -> Int32

    private static func decode(_ data: UnsafeRawBufferPointer, name: String, kind: ImageKind, _ decoder: Decoder) throws -> RGBImage {
        var raw = lines_decoded_image()
        let status = decoder(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, ImageDecoder.maxPixels, &raw)
        defer { lines_decoded_free(&raw) }
        let message = withUnsafeBytes(of: raw.message) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch lines_decode_status(rawValue: UInt32(status)) {
        case LINES_DECODE_OK: break
        case LINES_DECODE_TRUNCATED:
            throw ImageError.truncated(file: name, kind: kind, detail: message.isEmpty ? "the data ends early" : message)
        case LINES_DECODE_TOO_LARGE:
            throw ImageError.tooLarge(file: name, kind: kind, width: Int(raw.width), height: Int(raw.height),
                                      limit: ImageDecoder.maxPixels)
        case LINES_DECODE_NO_MEMORY:
            throw ImageError.outOfMemory(file: name, kind: kind, width: Int(raw.width), height: Int(raw.height))
        default:
            if kind == .jpeg, message.contains("data precision") {
                throw ImageError.unsupportedVariant(file: name, kind: kind, detail: message)
            }
            throw ImageError.corrupt(file: name, kind: kind, detail: message.isEmpty ? "the decoder rejected it" : message)
        }
        let width = Int(raw.width), height = Int(raw.height), channels = Int(raw.channels)
        guard let samples = raw.pixels, width > 0, height > 0 else {
            throw ImageError.corrupt(file: name, kind: kind, detail: "the decoder returned no pixels")
        }
        let count = width * height
        if channels == 3 && raw.bit_depth == 8 && kind == .jpeg || channels == 3 && raw.bit_depth == 8 && raw.png_color_type == 2 {
            // Already RGB: one copy.
            return RGBImage(width: width, height: height, pixels: Array(UnsafeBufferPointer(start: samples, count: count * 3)))
        }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        let palette: [UInt8] = withUnsafeBytes(of: raw.palette) { Array($0) }
        let paletteCount = Int(raw.palette_count)
        let depth = Int(raw.bit_depth)
        let wide = kind == .png && depth == 16
        rgb.withUnsafeMutableBufferPointer { out in
            // Sample c of pixel i: the high byte for 16-bit data.
            @inline(__always) func hi(_ i: Int, _ c: Int) -> UInt8 {
                wide ? samples[(i * channels + c) * 2] : samples[i * channels + c]
            }
            if kind == .jpeg && channels == 4 {
                // Pillow reads CMYK JPEGs as "CMYK;I" (Adobe polarity, inverted), then cmyk2rgb:
                // nk = 255 - k; out = clip8(nk - nk * c / 255) with MULDIV255 rounding.
                for i in 0..<count {
                    let nk = Int(samples[i * 4 + 3])  // 255 - (255 - raw k)
                    for c in 0..<3 {
                        let cyan = 255 - Int(samples[i * 4 + c])
                        let t = cyan * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        out[i * 3 + c] = UInt8(clamping: v)
                    }
                }
                return
            }
            if kind == .png && raw.png_color_type == 3 {
                for i in 0..<count {
                    let index = Int(samples[i])
                    if index < paletteCount {
                        out[i * 3] = palette[index * 3]
                        out[i * 3 + 1] = palette[index * 3 + 1]
                        out[i * 3 + 2] = palette[index * 3 + 2]
                    }
                }
                return
            }
            switch channels {
            case 1, 2:
                // Gray (+ alpha, dropped). Below 8 bits Pillow scales to 0...255; 16-bit gray is
                // mode I;16, whose conversion to RGB clips at 255; gray+alpha 16 keeps the high byte.
                let scale: Int = depth == 1 ? 255 : depth == 2 ? 85 : depth == 4 ? 17 : 1
                for i in 0..<count {
                    let v: UInt8
                    if wide && channels == 1 {
                        let s = (i * channels) * 2
                        v = UInt8(clamping: Int(samples[s]) << 8 | Int(samples[s + 1]))
                    } else {
                        v = UInt8(truncatingIfNeeded: Int(hi(i, 0)) * scale)
                    }
                    out[i * 3] = v
                    out[i * 3 + 1] = v
                    out[i * 3 + 2] = v
                }
            default:
                for i in 0..<count {
                    out[i * 3] = hi(i, 0)
                    out[i * 3 + 1] = hi(i, 1)
                    out[i * 3 + 2] = hi(i, 2)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }
}
