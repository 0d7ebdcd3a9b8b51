import Foundation

/// The tiny `data_location` written by `python3 Scripts/fixtures/dataset_fixtures.py`.
let datasetRoot = repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/root")

/// `Tests/Fixtures/datasets/expected.json`: what torchvision, torch and numpy report for the fixtures.
struct DatasetExpectations {
    let json: [String: Any]

    static func load() throws -> DatasetExpectations {
        let url = repositoryRoot.appendingPathComponent("Tests/Fixtures/datasets/expected.json")
        guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw FixtureError.missing(url.path)
        }
        return DatasetExpectations(json: object)
    }

    func section(_ name: String, _ key: String) throws -> [String: Any] {
        guard let s = json[name] as? [String: Any], let v = s[key] as? [String: Any] else {
            throw FixtureError.missing("expected.json \(name).\(key)")
        }
        return v
    }

    func task(_ name: String) throws -> [String: Any] { try section("tasks", name) }
    func split(_ name: String) throws -> [String: Any] { try section("splits", name) }
}

extension Dictionary where Key == String, Value == Any {
    func ints(_ key: String) -> [Int] { (self[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [] }
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func int64(_ key: String) -> Int64? { (self[key] as? NSNumber)?.int64Value }
    func strings(_ key: String) -> [String] { (self[key] as? [Any])?.compactMap { $0 as? String } ?? [] }
}
