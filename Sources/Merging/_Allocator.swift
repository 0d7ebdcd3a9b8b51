#if os(Linux)
@_silgen_name("mallopt")
private func _glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Process-wide allocator settings for merges that allocate one or more whole tensors per step.
enum _Allocator {
    /// Serves the per-tensor buffers (hundreds of MB for an embedding) from one heap that keeps
    /// freed memory, so that the next tensor reuses pages already mapped instead of faulting in
    /// fresh zeroed ones (page faults were ~40 % of a merge's time on a VM). Used by the mergekit
    /// path and the per-tensor (SVD, DARE, Breadcrumbs) path.
    static func keepLargeAllocations() {
        #if os(Linux)
        // glibc's mallopt (malloc.h, not in the Glibc module): M_ARENA_MAX = -8,
        // M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1.
        _ = _glibcMallopt(-8, 1)
        _ = _glibcMallopt(-3, 1 << 30)
        _ = _glibcMallopt(-1, Int32.max)
        #endif
    }
}
