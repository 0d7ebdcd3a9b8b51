/// Largest absolute difference between two arrays of equal length.
public func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxDifference: \(a.count) values against \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// `max |a − b| / max(max |b|, floor)`: the worst error relative to the reference's largest entry.
public func relativeMaxError(_ a: [Float], _ b: [Float], floor: Float = 1e-12) -> Float {
    precondition(a.count == b.count, "relativeMaxError: \(a.count) values against \(b.count)")
    var err: Float = 0, scale: Float = floor
    for i in 0..<a.count { err = max(err, abs(a[i] - b[i])); scale = max(scale, abs(b[i])) }
    return err / scale
}
