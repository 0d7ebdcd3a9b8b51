import Testing
import Tensors

@Suite("OpenBLAS thread count shared by concurrent callers")
struct BLASThreadsTests {
    @Test("inside an open single-threaded section, useAllThreads and a nested section's end leave one thread")
    func countedSections() {
        BLASThreads.beginSingleThreaded()
        #expect(BLASThreads.current == 1)
        BLASThreads.useAllThreads()
        #expect(BLASThreads.current == 1, "useAllThreads restored threads while a section was open")
        BLASThreads.singleThreaded { #expect(BLASThreads.current == 1) }
        #expect(BLASThreads.current == 1, "a nested section's end restored threads while the outer one was open")
        BLASThreads.endSingleThreaded()
        // Other suites may hold sections of their own now, so the count after the last end is
        // either one or all threads, never anything else.
        #expect([1, Parallel.threadCount].contains(BLASThreads.current))
    }
}
