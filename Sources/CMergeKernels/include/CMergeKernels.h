#ifndef LINES_CMERGEKERNELS_H
#define LINES_CMERGEKERNELS_H

#include <stdint.h>

/// An L1 norm accumulated exactly as Swift's `_NormAccumulator`: 8 `float` lanes, flushed into a
/// `double` (lanes summed in order) every 32 adds.
typedef struct {
    float lanes[8];
    int32_t groups;
    double flushed;
} lines_norm8;

/// One part (`count` consecutive parameters) of the fused TIES pass: the k-th-value windows, the
/// certain trims, the sign election and the norms of the disjoint value, with the side records
/// (see `_Engine.fusedTIES` in Swift, whose per-8-parameter arithmetic this reproduces exactly).
typedef struct {
    const float *base;              ///< θ0 at the part's first parameter
    const float *const *tasks;      ///< θ_t at the part's first parameter, T pointers
    int32_t T;                      ///< 1 … 64 (the task masks are 64-bit)
    int64_t count;
    int32_t aggregation;            ///< 0 sum, 1 mean, 2 max
    const int32_t *lower, *upper;   ///< k-th-value windows (magnitude bits, ≤ 2³¹ − 1)
    const int32_t *sureLower, *sureUpper;
    uint32_t *const *candidates;    ///< T candidate buffers
    int64_t *candidateCounts;       ///< T counts, updated
    int64_t candidateCapacity;
    int32_t *candidateOverflow;     ///< set to 1 on overflow
    int64_t *below;                 ///< T counts of magnitudes below the window, added to
    /// Records of uncertain parameters, as 32-bit words: a 64-bit task mask (low word first),
    /// then τ_t for every task in the mask, in task order (the tasks whose |τ_t| is not
    /// certainly trimmed; the others are 0 as far as TIES is concerned).
    uint32_t *records;
    int64_t *recordCount;           ///< records, updated
    int64_t *recordWords;           ///< words used, updated
    int64_t recordCapacity;         ///< words
    int32_t *full;                  ///< set to 1 when the record list is full
    int64_t *signCount;             ///< elected sums > 0 minus < 0, added to
    lines_norm8 *decided, *undecidedPlus, *undecidedMinus, *undecidedZero, *summed;
} lines_fused_ties_part;

/// The best kernel set this CPU runs: 2 AVX-512 (F, BW, DQ, VL), 1 AVX2, 0 none (portable Swift).
int lines_merge_kernels_supported(void);

/// The kernel set to use: `lines_merge_kernels_supported()`, capped by `LINES_MERGE_KERNELS`
/// (`portable`, `avx2`, `avx512`) or `LINES_NO_AVX512=1` (portable).
int lines_merge_kernels_level(void);


/// Runs one part with AVX2 (8 parameters at a time; the same operations and order as the
/// AVX-512 and Swift kernels); call only when `lines_merge_kernels_supported() >= 1`.
void lines_fused_ties_avx2(const lines_fused_ties_part *part);

/// Runs one part with AVX-512; call only when `lines_merge_kernels_supported() == 2`.
void lines_fused_ties_avx512(const lines_fused_ties_part *part);

/// One part of the final TIES pass: out[i] = finish(τ_TIES[i]) for `count` parameters, with exact
/// trim thresholds `kth` and the majority sign; returns the number of non-zero τ_TIES.
typedef struct {
    const float *base;
    const float *const *tasks;
    int32_t T;
    int64_t count;
    int32_t aggregation;            ///< 0 sum, 1 mean, 2 max
    const float *kth;
    float majority;
    float lambda;
    int32_t hasOuter;
    float outer;
    int32_t taskVectorOnly;
    float *out;
} lines_ties_write_part;

/// Runs one part with AVX-512; call only when `lines_merge_kernels_supported() == 2`.
int64_t lines_ties_write_avx512(const lines_ties_write_part *part);

/// Runs one part with AVX2; call only when `lines_merge_kernels_supported() >= 1`.
int64_t lines_ties_write_avx2(const lines_ties_write_part *part);

/// `count` bf16 values (little-endian bit patterns) as f32, exactly; AVX-512, AVX2 or portable by
/// `lines_merge_kernels_level()`.
void lines_bf16_to_f32(const uint16_t *src, float *dst, int64_t count);

/// TIES's histogram pass over `count` deltas: `hist[bits >> 16]++` for each |x|'s bits, and the
/// bits whose high half is in [lo, hi] appended to `kept` (room for count + 1). Returns how many.
int64_t lines_histogram_window(const float *row, int64_t count, int64_t *hist, uint32_t lo, uint32_t hi, uint32_t *kept);

/// TIES's pass when the cut's bin is expected in [lo, hi] (lo ≤ hi): the magnitude bits of the
/// entries whose high half is in [lo, hi] appended to `kept` (room for count + 16), and the entries
/// above `hi`'s bin added to `*above`. Returns how many were kept. Every kernel set gives the same.
int64_t lines_window_select(const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above);

/// ``lines_window_select`` with the kernel set `level` (0 portable, 1 AVX2, 2 AVX-512; capped at
/// what the CPU runs), for the tests that compare them.
int64_t lines_window_select_at(int level, const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above);

/// TIES's trim of one model's deltas, weighted, in place: `row[i] = (kept ? row[i] : 0) · w`,
/// kept where the magnitude's bits exceed `cut`, or equal it while `room` lasts (index order).
/// Returns the room left.
int64_t lines_trim_weighted(float *row, int64_t count, uint32_t cut, int64_t room, float w);

/// `count` f32 values as bf16 bit patterns, rounded to nearest even, NaNs kept quiet (torch's
/// conversion, Tensors' `HalfPrecision.bf16(from:)`).
void lines_f32_to_bf16(const float *src, uint16_t *dst, int64_t count);

/// SplitMix64 draws k = 1…count after `state` (Tensors' `SeededRandom`), each as
/// `(float)(draw >> 40) · 2⁻²⁴`, a uniform in [0, 1) with 24 bits.
void lines_splitmix_uniforms(uint64_t state, float *out, int64_t count);

#endif
