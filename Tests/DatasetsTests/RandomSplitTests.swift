import Testing
@testable import Datasets

@Suite("PyTorch-identical splits")
struct RandomSplitTests {
    @Test("randperm equals torch.randperm(10, generator=torch.Generator().manual_seed(0))")
    func smallPermutation() {
        var g = TorchGenerator(seed: 0)
        #expect(g.randperm(10) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2])
    }

    @Test("MNISTVal: the reference asserts the first training index is 36044")
    func mnistVal() {
        let split = RandomSplit(count: 60_000)
        #expect(split.train.count == 55_000 && split.validation.count == 5_000)
        #expect(Array(split.train.prefix(3)) == [36044, 10678, 57327])
        #expect(Array(split.validation.prefix(3)) == [30102, 43764, 35133])
        #expect(Set(split.train + split.validation).count == 60_000)
    }
}
