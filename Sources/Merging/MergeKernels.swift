import CMergeKernels

/// The kernel sets of the TIES passes. All give byte-identical outputs; the C ones are chosen at
/// run time from the CPU's features (`Sources/CMergeKernels`).
public enum MergeKernels: String, Sendable, CaseIterable, Comparable {
    /// The Swift `SIMD8` kernels (any CPU).
    case portable
    /// C kernels with AVX2, 8 parameters at a time (x86-64 CPUs since 2013: Intel Haswell, AMD Zen).
    case avx2
    /// C kernels with AVX-512 (F, BW, DQ, VL), 16 parameters at a time.
    case avx512

    /// The best set this CPU runs.
    public static let supported: MergeKernels = [.portable, .avx2, .avx512][Int(lines_merge_kernels_supported())]

    /// The set merges use: ``supported``, capped by `LINES_MERGE_KERNELS=portable|avx2|avx512`
    /// (`LINES_NO_AVX512=1` means `portable`).
    public static let selected: MergeKernels = [.portable, .avx2, .avx512][Int(lines_merge_kernels_level())]

    public static func < (a: MergeKernels, b: MergeKernels) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
