/// Binary Netpbm (P5 graymap, P6 pixmap) parsed by hand, following Pillow's `PpmImagePlugin`:
/// `#` comments anywhere in the header, tokens of at most 10 characters, one whitespace byte
/// after maxval, maxval 1 ... 65535 (two big-endian bytes per sample above 255).
///
/// Samples are rescaled as Pillow does: `min(255, round(v / maxval * 255))` (round half to
/// even), except P5 with maxval > 255, which Pillow reads as 32-bit `I` scaled to 0 ... 65535
/// and whose conversion to RGB then clips at 255.
enum PNMReader {
    static func decode(_ data: [UInt8], name: String) throws -> RGBImage {
        var position = 0
        func corrupt(_ detail: String) -> ImageError { .corrupt(file: name, kind: .pnm, detail: detail) }
        let isWhitespace: (UInt8) -> Bool = { [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D].contains($0) }

        // Magic: up to 6 bytes until whitespace.
        var magic: [UInt8] = []
        while magic.count < 6, position < data.count {
            let c = data[position]
            position += 1
            if isWhitespace(c) { break }
            magic.append(c)
        }
        let channels: Int
        switch magic {
        case Array("P5".utf8): channels = 1
        case Array("P6".utf8): channels = 3
        default:
            throw ImageError.unsupportedVariant(
                file: name, kind: .pnm, detail: "magic number \"\(String(decoding: magic, as: UTF8.self))\" is not P5 or P6")
        }

        func token(_ what: String) throws -> Int {
            var token: [UInt8] = []
            while token.count <= 10 {
                guard position < data.count else { break }
                let c = data[position]
                position += 1
                if isWhitespace(c) {
                    if token.isEmpty { continue }
                    break
                } else if c == UInt8(ascii: "#") {
                    while position < data.count, data[position] != 0x0A, data[position] != 0x0D { position += 1 }
                    if position < data.count { position += 1 }
                    continue
                }
                token.append(c)
            }
            guard !token.isEmpty else {
                throw ImageError.truncated(file: name, kind: .pnm, detail: "the header ends before the \(what)")
            }
            guard token.count <= 10, token.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(String(decoding: token, as: UTF8.self)) else {
                throw corrupt("the \(what) \"\(String(decoding: token.prefix(12), as: UTF8.self))\" is not a number")
            }
            return value
        }
        let width = try token("width")
        let height = try token("height")
        let maxval = try token("maxval")
        guard width > 0, height > 0 else { throw corrupt("the size \(width)×\(height) is empty") }
        guard width <= ImageDecoder.maxPixels / height else {
            throw ImageError.tooLarge(file: name, kind: .pnm, width: width, height: height, limit: ImageDecoder.maxPixels)
        }
        guard maxval > 0, maxval < 65536 else {
            throw ImageError.unsupportedVariant(file: name, kind: .pnm, detail: "maxval \(maxval) is not in 1...65535")
        }
        let bytesPerSample = maxval < 256 ? 1 : 2
        let sampleCount = width * height * channels
        let needed = sampleCount * bytesPerSample
        guard data.count - position >= needed else {
            throw ImageError.truncated(
                file: name, kind: .pnm,
                detail: "\(width)×\(height) pixels need \(needed) bytes of samples, the file has \(data.count - position)")
        }
        var samples = [UInt8](repeating: 0, count: sampleCount)
        data.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                let base = position
                if maxval == 255 {
                    for i in 0..<sampleCount { dst[i] = src[base + i] }
                    return
                }
                let wideGray = channels == 1 && maxval > 255
                for i in 0..<sampleCount {
                    let v = bytesPerSample == 1 ? Int(src[base + i]) : Int(src[base + 2 * i]) << 8 | Int(src[base + 2 * i + 1])
                    if wideGray {
                        let scaled = maxval == 65535 ? v : min(65535, Int((Double(v) / Double(maxval) * 65535).rounded(.toNearestOrEven)))
                        dst[i] = UInt8(min(255, scaled))
                    } else {
                        dst[i] = UInt8(min(255, Int((Double(v) / Double(maxval) * 255).rounded(.toNearestOrEven))))
                    }
                }
            }
        }
        return channels == 3
            ? RGBImage(width: width, height: height, pixels: samples)
            : RGBImage(width: width, height: height, gray: samples)
    }
}
