import Testing
@testable import Datasets

@Suite("random_split parity for every task's training size")
struct TaskSplitParityTests {
    @Test("RandomSplit equals torch.utils.data.random_split (expected.json, written by torch)")
    func everyTask() throws {
        let expected = try DatasetExpectations.load()
        guard let splits = expected.json["splits"] as? [String: Any] else { throw FixtureError.missing("splits") }
        #expect(splits.count >= 19)
        for name in splits.keys.sorted() {
            let e = try expected.split(name)
            let n = try #require(e.int("n"))
            let split = RandomSplit(count: n)
            #expect(split.validation.count == e.int("val"), "\(name)")
            #expect(Array(split.train.prefix(5)) == e.ints("train_first"), "\(name)")
            #expect(Array(split.validation.prefix(5)) == e.ints("val_first"), "\(name)")
            #expect(TaskDataset.checksum(split.train) == e.int64("train_checksum"), "\(name)")
            #expect(TaskDataset.checksum(split.validation) == e.int64("val_checksum"), "\(name)")
        }
    }
}
