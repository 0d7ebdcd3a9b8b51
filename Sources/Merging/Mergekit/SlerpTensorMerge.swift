import Foundation

/// mergekit's `slerp`: spherical interpolation from the base (t = 0) to the one other model
/// (t = 1) over each whole tensor; linear interpolation where the normalised tensors are nearly
/// collinear (|cos| > 0.9995). Norms below 1e-8 count as 1.
public struct SlerpTensorMerge: TensorMergeMethod {
    public let name = "slerp"
    public let summary = "spherical interpolation between the base (t = 0) and one model (t = 1)"
    public let needsBase = true
    public let sharedParameters: [String: Double?] = ["t": nil]
    public let modelParameters: [String: Double?] = [:]
    public let mergesTaskVectors = false
    public var modelCount: Int? { 1 }

    public init() {}

    public func merge(_ input: TensorMergeInput) throws(MergeError) -> [Float] {
        guard let a = input.base, input.models.count == 1 else {
            throw .invalidOption("slerp takes a base_model and exactly one other model")
        }
        let b = input.models[0], t = Float(input.parameters["t"] ?? 0)
        guard !a.isEmpty else { return a }
        var na = 0.0, nb = 0.0
        for i in a.indices { na += Double(a[i]) * Double(a[i]); nb += Double(b[i]) * Double(b[i]) }
        var normA = Float(na.squareRoot()), normB = Float(nb.squareRoot())
        if !(normA > 1e-8) { normA = 1 }
        if !(normB > 1e-8) { normB = 1 }
        var dotD = 0.0
        for i in a.indices { dotD += Double(a[i] / normA) * Double(b[i] / normB) }
        let dot = min(1, max(-1, Float(dotD)))
        let ca: Float, cb: Float
        if abs(dot) > 0.9995 {
            ca = 1 - t
            cb = t
        } else {
            let theta = acosf(dot), s = sinf(theta)
            ca = sinf((1 - t) * theta) / s
            cb = sinf(t * theta) / s
        }
        return a.indices.map { ca * a[$0] + cb * b[$0] }
    }
}
