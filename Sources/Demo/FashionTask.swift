/// One task of the demo suite: Fashion-MNIST images transformed one way and labelled one way.
///
/// The suite's tasks differ as the paper's do: some need other low-level features (rotated,
/// inverted, zoomed, low-resolution, textured inputs), some another reading of the same images
/// (coarser label groups), so fine-tuning on one really moves the early layers that the others
/// rely on, and merging them really interferes.
public struct FashionTask: Sendable {
    /// The task's name (a custom task folder under `data_location`).
    public var name: String
    /// What the task is, for the report.
    public var summary: String
    /// Class names in label order.
    public var classNames: [String]
    /// The input transformation of a 28×28 image (row-major, u8).
    public var transform: @Sendable ([UInt8]) -> [UInt8]
    /// The label of an original Fashion-MNIST class (0…9).
    public var relabel: @Sendable (Int) -> Int

    public init(name: String, summary: String, classNames: [String], transform: @escaping @Sendable ([UInt8]) -> [UInt8],
                relabel: @escaping @Sendable (Int) -> Int = { $0 }) {
        self.name = name
        self.summary = summary
        self.classNames = classNames
        self.transform = transform
        self.relabel = relabel
    }

    /// Fashion-MNIST's classes.
    public static let fashionClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    static let side = 28

    /// The demo's six tasks.
    public static let suite: [FashionTask] = [
        FashionTask(name: "FashionRot90", summary: "images rotated 90° clockwise; the 10 classes", classNames: fashionClasses,
                    transform: { img in
                        var out = [UInt8](repeating: 0, count: img.count)
                        for y in 0..<side { for x in 0..<side { out[x * side + (side - 1 - y)] = img[y * side + x] } }
                        return out
                    }),
        FashionTask(name: "FashionInvert", summary: "inverted intensities (255 − x): dark garments on white; the 10 classes",
                    classNames: fashionClasses, transform: { $0.map { 255 - $0 } }),
        FashionTask(name: "FashionZoom", summary: "the central 14×14 crop enlarged 2× (nearest): details, no silhouette; the 10 classes",
                    classNames: fashionClasses, transform: { img in
                        var out = [UInt8](repeating: 0, count: img.count)
                        for y in 0..<side { for x in 0..<side { out[y * side + x] = img[(7 + y / 2) * side + 7 + x / 2] } }
                        return out
                    }),
        FashionTask(name: "FashionLowRes", summary: "4× box-downsampled to 7×7 and enlarged back: silhouettes only; the 10 classes",
                    classNames: fashionClasses, transform: { img in
                        var out = [UInt8](repeating: 0, count: img.count)
                        for by in 0..<7 {
                            for bx in 0..<7 {
                                var s = 0
                                for y in 0..<4 { for x in 0..<4 { s += Int(img[(by * 4 + y) * side + bx * 4 + x]) } }
                                let v = UInt8((s + 8) / 16)
                                for y in 0..<4 { for x in 0..<4 { out[(by * 4 + y) * side + bx * 4 + x] = v } }
                            }
                        }
                        return out
                    }),
        FashionTask(name: "FashionStripes", summary: "a diagonal stripe texture blended over the image; the 10 classes",
                    classNames: fashionClasses, transform: { img in
                        var out = img
                        for y in 0..<side {
                            for x in 0..<side {
                                let stripe = ((x + y) / 3) % 2 == 0 ? 110 : 0
                                out[y * side + x] = UInt8(min(255, Int(img[y * side + x]) * 3 / 5 + stripe))
                            }
                        }
                        return out
                    }),
        FashionTask(name: "FashionGroups", summary: "upright images, 4 coarse groups: tops, bottoms & dresses, footwear, bags",
                    classNames: ["top", "bottom or dress", "footwear", "bag"], transform: { $0 },
                    relabel: { [0, 1, 0, 1, 0, 2, 0, 2, 3, 2][$0] }),
    ]
}
