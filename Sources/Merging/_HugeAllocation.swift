import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Anonymous memory for large working buffers, in transparent huge pages where the kernel
/// allows them: first touch then costs one fault per 2 MB instead of one per 4 KB (which, on a
/// virtual machine, costs more than the merge arithmetic). Pages never touched cost nothing.
final class _HugeAllocation {
    let raw: UnsafeMutableRawPointer
    private let bytes: Int

    init?(bytes wanted: Int) {
        bytes = max(1 << 21, (wanted + (1 << 21) - 1) & ~((1 << 21) - 1))
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else { return nil }
        #if os(Linux)
        _ = madvise(p, bytes, MADV_HUGEPAGE)
        #endif
        raw = p
    }

    deinit { munmap(raw, bytes) }
}
