import Testing
@testable import Merging

@Suite("per-tensor merges: how many gathered tensors wait beside the workers")
struct EngineAdmissionTests {
    @Test("threads + 1 always; up to 4 per thread + 2 within 1 GiB of task vectors")
    func admission() {
        let mb = 1 << 20
        // 2 threads: 3 whatever their size, then up to 10 while they fit in 1 GiB.
        #expect(_Engine.admits(4096 * mb, count: 2, held: 8192 * mb, threads: 2))
        #expect(!_Engine.admits(4096 * mb, count: 3, held: 0, threads: 2))
        #expect(_Engine.admits(75 * mb, count: 9, held: 9 * 75 * mb, threads: 2))
        #expect(!_Engine.admits(75 * mb, count: 10, held: 10 * 75 * mb, threads: 2))
        #expect(!_Engine.admits(300 * mb, count: 3, held: 800 * mb, threads: 2))
        #expect(_Engine.admits(200 * mb, count: 3, held: 800 * mb, threads: 2))
        #expect(_Engine.admits(1, count: 16, held: 0, threads: 16))
        #expect(!_Engine.admits(1, count: 66, held: 0, threads: 16))
    }
}
