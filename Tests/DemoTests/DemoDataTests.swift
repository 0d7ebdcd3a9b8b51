import Datasets
import Demo
import Foundation
import Testing

@Suite("demo tasks")
struct DemoDataTests {
    @Test("transforms: rotation, inversion, zoom, low resolution, stripes, groups")
    func transforms() {
        let img = (0..<784).map { UInt8($0 % 256) }
        let t = Dictionary(uniqueKeysWithValues: FashionTask.suite.map { ($0.name, $0) })
        let rot = t["FashionRot90"]!.transform(img)
        #expect(rot[0 * 28 + 27] == img[0])           // top-left goes to top-right
        #expect(rot[27 * 28 + 27] == img[0 * 28 + 27]) // top-right goes to bottom-right
        #expect(t["FashionInvert"]!.transform(img)[5] == 250)
        let zoom = t["FashionZoom"]!.transform(img)
        #expect(zoom[0] == img[7 * 28 + 7] && zoom[1] == img[7 * 28 + 7] && zoom[2] == img[7 * 28 + 8])
        let low = t["FashionLowRes"]!.transform(img)
        #expect(low[0] == low[3 * 28 + 3] && low[0] != low[4])
        #expect(t["FashionStripes"]!.transform([UInt8](repeating: 0, count: 784))[0] == 110)
        #expect((0..<10).map(t["FashionGroups"]!.relabel) == [0, 1, 0, 1, 0, 2, 0, 2, 3, 2])
        #expect(Set(FashionTask.suite.map(\.name)).count == 6)
    }

    @Test("the suite is written from Debian's Fashion-MNIST as custom tasks", .enabled(if: FileManager.default.fileExists(atPath: DemoData.debianLocation.path)))
    func write() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lines-demo-data-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sizes = DemoData.Sizes(pretrain: 100, trainPerTask: 50, testPerTask: 20)
        try DemoData.write(to: dir, sizes: sizes)
        let pre = try TaskLoader.load(.custom(DemoData.pretrainName), dataLocation: dir)
        #expect(pre.count(.train) + pre.count(.val) == 100)
        let groups = try TaskLoader.load(.custom("FashionGroups"), dataLocation: dir)
        #expect(groups.classNames.count == 4 && groups.count(.test) == 20 && groups.count(.val) == 5)
        #expect(groups.samples(.test).allSatisfy { $0.label < 4 })
    }
}
