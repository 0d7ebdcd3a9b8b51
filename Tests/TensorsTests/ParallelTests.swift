import Testing
import Tensors

@Suite("Parallel.map and Locked")
struct ParallelTests {
    struct Failed: Error, Equatable { var index: Int }

    @Test("results in index order; every index runs once; the lowest index's error is rethrown after all ran")
    func map() throws {
        let runs = Locked([Int](repeating: 0, count: 1000))
        let squares = try Parallel.map(1000) { i -> Int in
            runs.withLock { $0[i] += 1 }
            return i * i
        }
        #expect(squares == (0..<1000).map { $0 * $0 })
        #expect(runs.withLock { $0 }.allSatisfy { $0 == 1 })
        let ran = Locked(0)
        #expect(throws: Failed(index: 17)) {
            _ = try Parallel.map(500) { i -> Int in
                ran.withLock { $0 += 1 }
                if i == 17 || i == 400 || i % 97 == 96 && i > 17 { throw Failed(index: i) }
                return i
            }
        }
        #expect(ran.withLock { $0 } == 500)
        #expect(try Parallel.map(0) { $0 }.isEmpty)
    }
}
