import Foundation
import Tensors

/// A 28×28 coverage map (0…1) that the demo's drawn tasks paint into, anti-aliased by
/// supersampling, then finished into a noisy grey image.
public struct DemoCanvas: Sendable {
    /// Width and height in pixels.
    public static let side = 28
    /// Coverage per pixel, row-major, 0…1.
    public var coverage: [Double] = Array(repeating: 0, count: side * side)

    public init() {}

    /// Adds ink where `inside(x, y)` holds (pixel coordinates, y down; 4×4 samples per pixel),
    /// keeping the maximum with what is there.
    public mutating func fill(_ inside: (Double, Double) -> Bool) {
        paint { inside($0, $1) ? 1 : 0 }
    }

    /// Adds ink of intensity `f(x, y)` ∈ [0, 1], averaged over 4×4 samples per pixel, keeping the
    /// maximum with what is there.
    public mutating func paint(_ f: (Double, Double) -> Double) {
        let s = Self.side, n = 4
        for py in 0..<s {
            for px in 0..<s {
                var sum = 0.0
                for sy in 0..<n {
                    for sx in 0..<n {
                        sum += f(Double(px) + (Double(sx) + 0.5) / Double(n), Double(py) + (Double(sy) + 0.5) / Double(n))
                    }
                }
                coverage[py * s + px] = max(coverage[py * s + px], sum / Double(n * n))
            }
        }
    }

    /// Adds a coverage map of bytes (0…255), keeping the maximum.
    public mutating func add(bytes: [UInt8]) {
        for i in coverage.indices { coverage[i] = max(coverage[i], Double(bytes[i]) / 255) }
    }

    /// The image: a random dark background, ink of a random brighter level, Gaussian noise.
    public func finish(_ rng: inout SeededRandom) -> [UInt8] {
        let background = rng.uniform(0, 90), ink = rng.uniform(150, 255), sigma = rng.uniform(0, 14)
        return coverage.map { c in
            let v = background + (ink - background) * c + sigma * rng.normal()
            return UInt8(max(0, min(255, v.rounded())))
        }
    }

    /// Whether (x, y) lies inside the polygon `points` (even-odd rule).
    public static func inside(_ x: Double, _ y: Double, polygon points: [(Double, Double)]) -> Bool {
        var odd = false
        var j = points.count - 1
        for i in points.indices {
            let (xi, yi) = points[i], (xj, yj) = points[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { odd.toggle() }
            j = i
        }
        return odd
    }

    /// The vertices of a regular polygon (or a star when `inner` is given: alternating radii).
    public static func regular(_ k: Int, radius: Double, inner: Double? = nil, rotation: Double, cx: Double, cy: Double) -> [(Double, Double)] {
        let count = inner == nil ? k : 2 * k
        return (0..<count).map { i in
            let r = i % 2 == 1 ? (inner ?? radius) : radius
            let a = rotation + 2 * Double.pi * Double(i) / Double(count) - Double.pi / 2
            return (cx + r * cos(a), cy + r * sin(a))
        }
    }
}
