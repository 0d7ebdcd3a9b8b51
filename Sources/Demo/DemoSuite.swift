import Foundation
import Tensors

/// The demo's eight tasks and its pre-training mixture.
///
/// Like the paper's eight (SUN397, Cars, RESISC45, EuroSAT, SVHN, GTSRB, MNIST, DTD), the tasks
/// differ in label space and image domain over one shared pre-trained representation: printed
/// digits, capital letters and symbols in 37 typefaces (the SVHN/MNIST/GTSRB analogues),
/// geometric shapes, textures (DTD's analogue), counting, and two Fashion-MNIST tasks whose
/// inputs differ from the pre-training images (rotated and inverted garments). The pre-trained
/// model has seen none of these label spaces: it was trained on upright Fashion-MNIST and on
/// lower-case Latin and Greek letters (``DemoSuite/pretrainClasses``), as CLIP was trained on
/// other data than the tasks'.
public enum DemoSuite {
    static let side = DemoCanvas.side

    /// Fashion-MNIST's classes.
    public static let fashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The glyphs of the pre-training mixture: a–z and the Greek α–ω (without the final sigma).
    public static let pretrainGlyphs: [Unicode.Scalar] =
        (0x61...0x7A).compactMap(Unicode.Scalar.init) + (0x3B1...0x3C9).filter { $0 != 0x3C2 }.compactMap(Unicode.Scalar.init)

    /// The pre-training classes: Fashion-MNIST's ten, then ``pretrainGlyphs``.
    public static var pretrainClasses: [String] { fashionClasses + pretrainGlyphs.map { String(Character($0)) } }

    /// The symbols of the `Symbols` task.
    static let symbols: [Unicode.Scalar] = ["+", "−", "×", "÷", "=", "%", "&", "@", "#", "?"]

    /// The eight tasks, in the report's order.
    public static let tasks: [DemoTask] = [
        DemoTask(name: "Digits", summary: "printed digits 0–9 in 37 typefaces, sizes, slants and noise (SVHN's and MNIST's analogue)",
                 classNames: (0...9).map(String.init), source: .drawn({ label, rng, fonts in
                     try glyph(Unicode.Scalar(UInt8(0x30 + label)), fonts: fonts, rng: &rng)
                 }, canonical: { label, fonts in try canonicalGlyph(Unicode.Scalar(UInt8(0x30 + label)), fonts: fonts) })),
        DemoTask(name: "Letters", summary: "capital letters A–Z in 37 typefaces (26 classes; GTSRB's many-class analogue)",
                 classNames: (0..<26).map { String(Character(Unicode.Scalar(UInt8(0x41 + $0)))) }, source: .drawn({ label, rng, fonts in
                     try glyph(Unicode.Scalar(UInt8(0x41 + label)), fonts: fonts, rng: &rng)
                 }, canonical: { label, fonts in try canonicalGlyph(Unicode.Scalar(UInt8(0x41 + label)), fonts: fonts) })),
        DemoTask(name: "Symbols", summary: "ten printed symbols + − × ÷ = % & @ # ? in 37 typefaces",
                 classNames: symbols.map { String(Character($0)) }, source: .drawn({ label, rng, fonts in
                     try glyph(symbols[label], fonts: fonts, rng: &rng)
                 }, canonical: { label, fonts in try canonicalGlyph(symbols[label], fonts: fonts) })),
        DemoTask(name: "Shapes", summary: "eight drawn shapes (circle … crescent), filled or outlined, any size, angle and place",
                 classNames: ["circle", "triangle", "square", "pentagon", "hexagon", "star", "cross", "crescent"],
                 source: .drawn({ label, rng, _ in shape(label, rng: &rng) }, canonical: { label, _ in [canonicalShape(label)] })),
        DemoTask(name: "Textures", summary: "eight periodic textures (stripes three ways, checks, dots, grid, rings, waves) at random scale and phase (DTD's analogue)",
                 classNames: ["horizontal stripes", "vertical stripes", "diagonal stripes", "checkerboard", "dots", "grid", "rings", "waves"],
                 source: .drawn({ label, rng, _ in texture(label, rng: &rng) }, canonical: { label, _ in [canonicalTexture(label)] })),
        DemoTask(name: "Count", summary: "how many discs, one to six, scattered at random (CLEVR-count's analogue)",
                 classNames: (1...6).map(String.init), source: .drawn({ label, rng, _ in count(label + 1, rng: &rng) }, canonical: { label, _ in [canonicalCount(label + 1)] })),
        DemoTask(name: "FashionRot90", summary: "Fashion-MNIST garments rotated 90° clockwise; the 10 classes",
                 classNames: fashionClasses, source: .fashion(transform: { img in
                     var out = [UInt8](repeating: 0, count: img.count)
                     for y in 0..<side { for x in 0..<side { out[x * side + (side - 1 - y)] = img[y * side + x] } }
                     return out
                 }, relabel: { $0 })),
        DemoTask(name: "FashionInvert", summary: "Fashion-MNIST with inverted intensities (dark garments on white); the 10 classes",
                 classNames: fashionClasses, source: .fashion(transform: { $0.map { 255 - $0 } }, relabel: { $0 })),
    ]

    // MARK: - Drawing

    /// A glyph in a random face (one that has it), 15–23 px, slanted ±12°, sheared ±0.25,
    /// stretched ±15 %, off centre by up to 3 px, on a noisy background.
    public static func glyph(_ character: Unicode.Scalar, fonts: DemoFonts, rng: inout SeededRandom) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: side * side)
        for _ in 0..<8 {
            let font = fonts.faces[rng.int(below: fonts.faces.count)]
            let size = rng.uniform(15, 23), angle = rng.uniform(-0.21, 0.21), shear = rng.uniform(-0.25, 0.25), aspect = rng.uniform(0.85, 1.15)
            let c = cos(angle), s = sin(angle)
            let m = [c * aspect, c * shear - s, s * aspect, s * shear + c]
            let cx = 14 + rng.uniform(-3, 3), cy = 14 + rng.uniform(-3, 3)
            if try font.draw(character, size: size, matrix: m, cx: cx, cy: cy, into: &bytes, side: side) { break }
        }
        var canvas = DemoCanvas()
        canvas.add(bytes: bytes)
        return canvas.finish(&rng)
    }

    /// The canonical depictions of a glyph (the zero-shot head's "prompt"): the character
    /// upright and centred, 20 px, white on black, in DejaVu Sans, Liberation Serif and
    /// Liberation Mono.
    public static func canonicalGlyph(_ character: Unicode.Scalar, fonts: DemoFonts) throws -> [[UInt8]] {
        let faces = ["dejavu/DejaVuSans.ttf", "liberation/LiberationSerif-Regular.ttf", "liberation/LiberationMono-Regular.ttf"]
        return try faces.compactMap { name in
            guard let i = DemoFonts.files.firstIndex(of: name) else { return nil }
            var bytes = [UInt8](repeating: 0, count: side * side)
            try fonts.faces[i].draw(character, size: 20, cx: 14, cy: 14, into: &bytes, side: side)
            return bytes
        }
    }

    /// Shape `label`: radius 6–12 px, any rotation, centre within 3 px of the middle, filled
    /// (or, one time in three, outlined 1.5–2.5 px wide; the crescent is always filled).
    public static func shape(_ label: Int, rng: inout SeededRandom) -> [UInt8] {
        var r: SeededRandom? = rng
        defer { if let r { rng = r } }
        return shape(label, &r)
    }

    /// Texture `label`: period 3.5–7 px, random phase, rotated by at most ±12°, the whole image.
    public static func texture(_ label: Int, rng: inout SeededRandom) -> [UInt8] {
        var r: SeededRandom? = rng
        defer { if let r { rng = r } }
        return texture(label, &r)
    }

    /// `n` discs of radius 1.8–3 px, at least 1.5 px apart, anywhere in the image.
    public static func count(_ n: Int, rng: inout SeededRandom) -> [UInt8] {
        var r: SeededRandom? = rng
        defer { if let r { rng = r } }
        return count(n, &r)
    }

    /// The canonical depictions (the zero-shot head's "prompt"): upright, centred, clean, white on
    /// black: the shape of radius 9, filled; the texture of period 5 at phase 0; the discs in a
    /// die's pattern.
    public static func canonicalShape(_ label: Int) -> [UInt8] { var none: SeededRandom? = nil; return shape(label, &none) }
    public static func canonicalTexture(_ label: Int) -> [UInt8] { var none: SeededRandom? = nil; return texture(label, &none) }
    public static func canonicalCount(_ n: Int) -> [UInt8] { var none: SeededRandom? = nil; return count(n, &none) }

    /// A uniform draw, or `canonical` without a generator.
    static func draw(_ rng: inout SeededRandom?, _ a: Double, _ b: Double, canonical: Double) -> Double {
        guard var r = rng else { return canonical }
        defer { rng = r }
        return r.uniform(a, b)
    }

    static func finish(_ canvas: DemoCanvas, _ rng: inout SeededRandom?) -> [UInt8] {
        guard var r = rng else { return canvas.coverage.map { UInt8(max(0, min(255, (255 * $0).rounded()))) } }
        defer { rng = r }
        return canvas.finish(&r)
    }

    static func shape(_ label: Int, _ rng: inout SeededRandom?) -> [UInt8] {
        let r = draw(&rng, 6, 12, canonical: 9), rot = draw(&rng, 0, 2 * Double.pi, canonical: 0)
        let cx = 14 + draw(&rng, -3, 3, canonical: 0), cy = 14 + draw(&rng, -3, 3, canonical: 0)
        let outlined = label != 7 && draw(&rng, 0, 1, canonical: 1) < 1.0 / 3, width = draw(&rng, 1.5, 2.5, canonical: 2)
        func region(_ radius: Double) -> (Double, Double) -> Bool {
            switch label {
            case 0: return { x, y in (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius }
            case 1...4:
                let points = DemoCanvas.regular(label + 2, radius: radius, rotation: rot, cx: cx, cy: cy)
                return { DemoCanvas.inside($0, $1, polygon: points) }
            case 5:
                let points = DemoCanvas.regular(5, radius: radius, inner: radius * 0.45, rotation: rot, cx: cx, cy: cy)
                return { DemoCanvas.inside($0, $1, polygon: points) }
            case 6:
                let half = radius * 0.33, c = cos(rot), s = sin(rot)
                return { x, y in
                    let u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c
                    return (abs(u) <= radius && abs(v) <= half) || (abs(v) <= radius && abs(u) <= half)
                }
            default:
                let ox = cx + 0.55 * radius * cos(rot), oy = cy + 0.55 * radius * sin(rot)
                return { x, y in
                    (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius
                        && (x - ox) * (x - ox) + (y - oy) * (y - oy) > radius * radius * 0.85
                }
            }
        }
        var canvas = DemoCanvas()
        let outer = region(r)
        if outlined {
            let inner = region(max(1, r - width * (label == 5 ? 2.2 : label == 1 ? 2 : 1.3)))
            canvas.fill { x, y in outer(x, y) && !inner(x, y) }
        } else {
            canvas.fill(outer)
        }
        return finish(canvas, &rng)
    }

    static func texture(_ label: Int, _ rng: inout SeededRandom?) -> [UInt8] {
        let period = draw(&rng, 3.5, 7, canonical: 5), px = draw(&rng, 0, 1, canonical: 0), py = draw(&rng, 0, 1, canonical: 0)
        let rot = draw(&rng, -0.21, 0.21, canonical: 0)
        let c = cos(rot), s = sin(rot), ox = draw(&rng, 4, 24, canonical: 14), oy = draw(&rng, 4, 24, canonical: 14)
        let amplitude = draw(&rng, 1.5, 3, canonical: 2), wave = draw(&rng, 10, 18, canonical: 14)
        func frac(_ t: Double, _ phase: Double) -> Double {
            let f = (t / period + phase).truncatingRemainder(dividingBy: 1)
            return f < 0 ? f + 1 : f
        }
        var canvas = DemoCanvas()
        canvas.fill { x, y in
            let u = (x - 14) * c + (y - 14) * s + 100, v = -(x - 14) * s + (y - 14) * c + 100
            switch label {
            case 0: return frac(v, py) < 0.5
            case 1: return frac(u, px) < 0.5
            case 2: return frac((u + v) / 2.squareRoot(), px) < 0.5
            case 3: return (frac(u, px) < 0.5) != (frac(v, py) < 0.5)
            case 4:
                let du = frac(u, px) - 0.5, dv = frac(v, py) - 0.5
                return du * du + dv * dv < 0.09
            case 5: return frac(u, px) < 0.25 || frac(v, py) < 0.25
            case 6:
                let d = ((x - ox) * (x - ox) + (y - oy) * (y - oy)).squareRoot()
                return frac(d, px) < 0.5
            default: return frac(v + amplitude * sin(2 * Double.pi * u / wave), py) < 0.5
            }
        }
        return finish(canvas, &rng)
    }

    /// A die's pattern for n = 1…6 (in units of 7 px around the centre).
    static let diePattern: [[(Double, Double)]] = [
        [(0, 0)], [(-1, -1), (1, 1)], [(-1, -1), (0, 0), (1, 1)], [(-1, -1), (1, -1), (-1, 1), (1, 1)],
        [(-1, -1), (1, -1), (0, 0), (-1, 1), (1, 1)], [(-1, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (1, 1)],
    ]

    static func count(_ n: Int, _ rng: inout SeededRandom?) -> [UInt8] {
        var discs: [(Double, Double, Double)] = []
        if rng == nil, (1...6).contains(n) {
            discs = diePattern[n - 1].map { (14 + 7 * $0.0, 14 + 7 * $0.1, 2.4) }
        }
        var tries = 0
        while discs.count < n, tries < 10_000 {
            tries += 1
            let r = draw(&rng, 1.8, 3, canonical: 2.4), x = draw(&rng, r + 1, 27 - r, canonical: 14), y = draw(&rng, r + 1, 27 - r, canonical: 14)
            if discs.allSatisfy({ ($0.0 - x) * ($0.0 - x) + ($0.1 - y) * ($0.1 - y) > ($0.2 + r + 1.5) * ($0.2 + r + 1.5) }) {
                discs.append((x, y, r))
            }
        }
        var canvas = DemoCanvas()
        canvas.fill { x, y in discs.contains { ($0.0 - x) * ($0.0 - x) + ($0.1 - y) * ($0.1 - y) <= $0.2 * $0.2 } }
        return finish(canvas, &rng)
    }
}
