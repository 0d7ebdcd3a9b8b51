import Datasets
@testable import Demo
import Foundation
import Tensors
import Testing

private let hasFashion = FileManager.default.fileExists(atPath: DemoData.debianLocation.appendingPathComponent("train-images-idx3-ubyte.gz").path)
private let hasFonts = DemoFonts.files.allSatisfy { FileManager.default.fileExists(atPath: DemoFonts.root.appendingPathComponent($0).path) }

@Suite("demo tasks")
struct DemoDataTests {
    static func task(_ name: String) -> DemoTask? { DemoSuite.tasks.first { $0.name == name } }

    @Test("eight tasks of distinct label spaces; the Fashion transforms rotate and invert")
    func suite() throws {
        #expect(DemoSuite.tasks.map(\.name) == ["Digits", "Letters", "Symbols", "Shapes", "Textures", "Count", "FashionRot90", "FashionInvert"])
        #expect(DemoSuite.tasks.map(\.classNames.count) == [10, 26, 10, 8, 8, 6, 10, 10])
        #expect(DemoSuite.pretrainClasses.count == 60 && Set(DemoSuite.pretrainClasses).count == 60)
        // No task's classes were pre-training classes (the label spaces are new to θ0).
        for t in DemoSuite.tasks where t.isDrawn { #expect(Set(t.classNames).isDisjoint(with: DemoSuite.pretrainClasses), "\(t.name)") }
        let img = (0..<784).map { UInt8($0 % 256) }
        guard case let .fashion(rotate, _)? = Self.task("FashionRot90")?.source, case let .fashion(invert, _)? = Self.task("FashionInvert")?.source else {
            Issue.record("the Fashion tasks are not Fashion-MNIST's")
            return
        }
        let rot = rotate(img)
        #expect(rot[0 * 28 + 27] == img[0])           // top-left goes to top-right
        #expect(rot[27 * 28 + 27] == img[0 * 28 + 27]) // top-right goes to bottom-right
        #expect(invert(img)[5] == 250)
    }

    @Test("drawn images: seeded, different per label, ink where the shape is")
    func drawing() {
        var a = SeededRandom(seed: 7, 1), b = SeededRandom(seed: 7, 1)
        #expect(DemoSuite.shape(0, rng: &a) == DemoSuite.shape(0, rng: &b))
        var c = SeededRandom(seed: 7, 1)
        #expect(DemoSuite.shape(0, rng: &a) != DemoSuite.shape(5, rng: &c))
        // Counting: n discs give n bright blobs (4-connected components above the midpoint level).
        for n in 1...6 {
            var rng = SeededRandom(seed: 3, n)
            let img = DemoSuite.count(n, rng: &rng)
            let lo = Double(img.min() ?? 0), hi = Double(img.max() ?? 255), mid = (lo + hi) / 2
            var seen = [Bool](repeating: false, count: 784), blobs = 0
            for start in 0..<784 where !seen[start] && Double(img[start]) > mid {
                blobs += 1
                var stack = [start]
                seen[start] = true
                while let p = stack.popLast() {
                    let (y, x) = (p / 28, p % 28)
                    for (dy, dx) in [(0, 1), (1, 0), (0, -1), (-1, 0)] {
                        let (ny, nx) = (y + dy, x + dx)
                        guard (0..<28).contains(ny), (0..<28).contains(nx) else { continue }
                        let q = ny * 28 + nx
                        if !seen[q], Double(img[q]) > mid { seen[q] = true; stack.append(q) }
                    }
                }
            }
            // Noise can add a speck; a disc is never lost.
            #expect(blobs >= n && blobs <= n + 2, "\(n) discs: \(blobs) blobs")
        }
        // Textures: horizontal stripes vary down a column more than along a row; vertical ones the opposite.
        func variation(_ label: Int) -> (rows: Double, columns: Double) {
            var rng = SeededRandom(seed: 11, label)
            let img = DemoSuite.texture(label, rng: &rng).map(Double.init)
            var alongRows = 0.0, alongColumns = 0.0
            for y in 0..<27 { for x in 0..<27 {
                alongRows += abs(img[y * 28 + x + 1] - img[y * 28 + x])
                alongColumns += abs(img[(y + 1) * 28 + x] - img[y * 28 + x])
            } }
            return (alongRows, alongColumns)
        }
        let h = variation(0), v = variation(1)
        #expect(h.columns > 2 * h.rows && v.rows > 2 * v.columns)
    }

    @Test("glyphs rendered with FreeType from Debian's fonts: every face has every task's glyph", .enabled(if: hasFonts, "needs fonts-dejavu-core, fonts-dejavu-extra, fonts-liberation"))
    func glyphs() throws {
        let fonts = try DemoFonts()
        #expect(fonts.faces.count == 37)
        var missing: [String] = []
        let characters: [Unicode.Scalar] = (0x30...0x39).compactMap(Unicode.Scalar.init) + (0x41...0x5A).compactMap(Unicode.Scalar.init)
            + DemoSuite.symbols + DemoSuite.pretrainGlyphs
        for face in fonts.faces {
            for ch in characters {
                var canvas = [UInt8](repeating: 0, count: 784)
                if try !face.draw(ch, size: 20, cx: 14, cy: 14, into: &canvas, side: 28) || canvas.allSatisfy({ $0 == 0 }) {
                    missing.append("\(face.url.lastPathComponent) U+\(String(ch.value, radix: 16))")
                }
            }
        }
        #expect(missing.isEmpty, "\(missing.prefix(10))")
        // An "I" is taller than wide, a "-" wider than tall: the bitmap lands as drawn.
        func box(_ ch: Unicode.Scalar) throws -> (w: Int, h: Int) {
            var canvas = [UInt8](repeating: 0, count: 784)
            try fonts.faces[0].draw(ch, size: 22, cx: 14, cy: 14, into: &canvas, side: 28)
            let ink = canvas.indices.filter { canvas[$0] > 128 }
            let xs = ink.map { $0 % 28 }, ys = ink.map { $0 / 28 }
            return ((xs.max() ?? 0) - (xs.min() ?? 0) + 1, (ys.max() ?? 0) - (ys.min() ?? 0) + 1)
        }
        let i = try box("I"), dash = try box("-")
        #expect(i.h > 3 * i.w && dash.w > 2 * dash.h)
        // A missing face is one sentence naming the packages.
        #expect(throws: DemoError.self) { try DemoFonts(root: URL(fileURLWithPath: "/nonexistent")) }
        #expect(DemoError.font(path: "/x.ttf", reason: "not found").description.contains("apt-get install -y fonts-dejavu-core"))
    }

    @Test("the suite is written as custom tasks, the same bytes twice", .enabled(if: hasFashion && hasFonts))
    func write() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo-data-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sizes = DemoData.Sizes(pretrain: 100, pretrainGlyphs: 60, trainPerTask: 50, testPerTask: 20)
        try DemoData.write(to: dir.appendingPathComponent("a"), sizes: sizes, pretraining: true)
        let pre = try TaskLoader.load(.custom(DemoData.pretrainName), dataLocation: dir.appendingPathComponent("a"))
        #expect(pre.count(.train) + pre.count(.val) == 160 && pre.classNames.count == 60)
        #expect(pre.samples(.train).contains { $0.label >= 10 } && pre.samples(.train).contains { $0.label < 10 })
        for task in DemoSuite.tasks {
            let t = try TaskLoader.load(.custom(task.name), dataLocation: dir.appendingPathComponent("a"))
            #expect(t.classNames == task.classNames && t.count(.test) == 20 && t.count(.val) == 5, "\(task.name)")
            #expect(t.samples(.test).allSatisfy { $0.label < task.classNames.count })
        }
        try DemoData.write(to: dir.appendingPathComponent("b"), sizes: sizes, tasks: [DemoSuite.tasks[3]])
        let first = try Data(contentsOf: dir.appendingPathComponent("a/Shapes/train-images-idx3-ubyte"))
        let second = try Data(contentsOf: dir.appendingPathComponent("b/Shapes/train-images-idx3-ubyte"))
        #expect(first == second)
    }
}
