// Kernels of the streamed per-tensor merges (Merging's `_StreamedTaskArithmetic`): bf16 to f32 and back,
// SplitMix64 draws as 24-bit uniforms, each in an AVX-512, an AVX2 and a portable build of the same
// C loop (the compiler vectorizes it for the target), chosen at run time. Every result is exact
// integer or bit arithmetic: the three give the same bits.
#include "CMergeKernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#pragma clang fp contract(off)

#define LINES_BF16_LOOP                                                            \
    for (int64_t i = 0; i < count; i++) dst[i] = lines_bits_to_float((uint32_t)src[i] << 16);

// torch's float → bfloat16: round to nearest even, a NaN kept quiet (Tensors' `bf16(from:)`).
#define LINES_TO_BF16_LOOP                                                         \
    for (int64_t i = 0; i < count; i++) {                                          \
        uint32_t b = lines_float_to_bits(src[i]);                                  \
        uint32_t rounded = (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16;                 \
        uint32_t nan = (b >> 16) | 0x0040u;                                        \
        dst[i] = (uint16_t)((b & 0x7FFFFFFFu) > 0x7F800000u ? nan : rounded);      \
    }

// TIES's trim of one model's deltas, weighted: kept where |x|'s bits exceed the cut, or equal it
// while room is left (in index order); each entry becomes (kept ? x : 0) · w. Sixteen entries at a
// time when none of them equals the cut (the loops vectorize), one at a time otherwise.
#define LINES_TRIM_LOOP                                                            \
    int64_t i = 0;                                                                 \
    for (; i + 16 <= count; i += 16) {                                             \
        int equal = 0;                                                             \
        for (int k = 0; k < 16; k++) equal |= (lines_float_to_bits(row[i + k]) & 0x7FFFFFFFu) == cut; \
        if (!equal) {                                                              \
            for (int k = 0; k < 16; k++) {                                         \
                float x = row[i + k];                                              \
                row[i + k] = ((lines_float_to_bits(x) & 0x7FFFFFFFu) > cut ? x : 0.0f) * w; \
            }                                                                      \
            continue;                                                              \
        }                                                                          \
        for (int k = 0; k < 16; k++) LINES_TRIM_ONE(i + k)                         \
    }                                                                              \
    for (; i < count; i++) LINES_TRIM_ONE(i)                                       \
    return room;

#define LINES_TRIM_ONE(j) {                                                        \
        float x = row[j];                                                          \
        uint32_t a = lines_float_to_bits(x) & 0x7FFFFFFFu;                         \
        int keep = a > cut;                                                        \
        if (a == cut && room > 0) { room--; keep = 1; }                            \
        row[j] = (keep ? x : 0.0f) * w;                                            \
    }

// TIES's histogram pass: the high half of each |x|'s bits counted, and the bits whose high half lies
// in [lo, hi] appended to `kept` (branch-free: each entry is written, the count advances when it
// belongs). `kept` has room for count + 1 entries.
#define LINES_HISTOGRAM_LOOP                                                       \
    int64_t n = 0;                                                                 \
    for (int64_t i = 0; i < count; i++) {                                          \
        uint32_t b = lines_float_to_bits(row[i]) & 0x7FFFFFFFu, top = b >> 16;     \
        hist[top]++;                                                               \
        kept[n] = b;                                                               \
        n += (top - lo) <= (hi - lo);                                              \
    }                                                                              \
    return n;

// TIES's pass over a tensor whose cut lies in a window of bins [lo, hi] of the bits' high half: the
// bits in the window appended to `kept` (branch-free, as the histogram loop does) and those above it
// counted, without the histogram's scattered increments.
#define LINES_WINDOW_LOOP                                                          \
    const uint32_t first = lo << 16, last = (hi << 16) | 0xFFFFu;                  \
    int64_t n = 0, a = 0;                                                          \
    for (int64_t i = 0; i < count; i++) {                                          \
        uint32_t b = lines_float_to_bits(row[i]) & 0x7FFFFFFFu;                    \
        kept[n] = b;                                                               \
        n += (b - first) <= (last - first);                                        \
        a += b > last;                                                             \
    }                                                                              \
    *above += a;                                                                   \
    return n;

#define LINES_SPLITMIX_LOOP                                                        \
    for (int64_t i = 0; i < count; i++) {                                          \
        uint64_t z = state + (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull;            \
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;                               \
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;                               \
        z ^= z >> 31;                                                              \
        out[i] = (float)(z >> 40) * 0x1p-24f;                                      \
    }

static inline float lines_bits_to_float(uint32_t b) {
    union { uint32_t u; float f; } v = { b };
    return v.f;
}

static inline uint32_t lines_float_to_bits(float f) {
    union { float f; uint32_t u; } v = { f };
    return v.u;
}

static int64_t window_portable(const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above) { LINES_WINDOW_LOOP }
static int64_t histogram_portable(const float *row, int64_t count, int64_t *hist, uint32_t lo, uint32_t hi, uint32_t *kept) { LINES_HISTOGRAM_LOOP }
static int64_t trim_portable(float *row, int64_t count, uint32_t cut, int64_t room, float w) { LINES_TRIM_LOOP }
static void to_bf16_portable(const float *src, uint16_t *dst, int64_t count) { LINES_TO_BF16_LOOP }
static void bf16_portable(const uint16_t *src, float *dst, int64_t count) { LINES_BF16_LOOP }
static void uniform_portable(uint64_t state, float *out, int64_t count) { LINES_SPLITMIX_LOOP }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void bf16_avx2(const uint16_t *src, float *dst, int64_t count) { LINES_BF16_LOOP }
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static void bf16_avx512(const uint16_t *src, float *dst, int64_t count) { LINES_BF16_LOOP }
__attribute__((target("avx2"))) static void to_bf16_avx2(const float *src, uint16_t *dst, int64_t count) { LINES_TO_BF16_LOOP }
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static void to_bf16_avx512(const float *src, uint16_t *dst, int64_t count) { LINES_TO_BF16_LOOP }
__attribute__((target("avx2"))) static int64_t histogram_avx2(const float *row, int64_t count, int64_t *hist, uint32_t lo, uint32_t hi, uint32_t *kept) { LINES_HISTOGRAM_LOOP }
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static int64_t histogram_avx512(const float *row, int64_t count, int64_t *hist, uint32_t lo, uint32_t hi, uint32_t *kept) { LINES_HISTOGRAM_LOOP }
// The window pass's entries from `i` on, one at a time, after a vector loop's `n` kept and `a` above.
static inline int64_t window_tail(const float *row, int64_t i, int64_t count, uint32_t first, uint32_t last,
                                  uint32_t *kept, int64_t n, int64_t a, int64_t *above) {
    for (; i < count; i++) {
        uint32_t b = lines_float_to_bits(row[i]) & 0x7FFFFFFFu;
        kept[n] = b;
        n += (b - first) <= (last - first);
        a += b > last;
    }
    *above += a;
    return n;
}

// AVX2 has no compress: lane indices from a table by the 8-bit mask (filled at load time), then a
// permute, eight at a time; unsigned compares as signed ones with the sign bit flipped.
static uint32_t window_compress[256][8];
__attribute__((constructor)) static void fill_window_compress(void) {
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int l = 0; l < 8; l++) if (m & (1 << l)) window_compress[m][k++] = (uint32_t)l;
        while (k < 8) window_compress[m][k++] = 0;
    }
}
__attribute__((target("avx2,popcnt")))
static int64_t window_avx2(const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above) {
    const uint32_t first = lo << 16, last = (hi << 16) | 0xFFFFu;
    const __m256i magnitude = _mm256_set1_epi32(0x7FFFFFFF), flip = _mm256_set1_epi32((int)0x80000000u),
                  vfirst = _mm256_set1_epi32((int)first), span = _mm256_set1_epi32((int)((last - first) ^ 0x80000000u)),
                  vlast = _mm256_set1_epi32((int)(last ^ 0x80000000u));
    int64_t n = 0, a = 0, i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(row + i)), magnitude);
        // (b − first) ≤ span unsigned; b > last unsigned.
        __m256i outside = _mm256_cmpgt_epi32(_mm256_xor_si256(_mm256_sub_epi32(b, vfirst), flip), span);
        __m256i up = _mm256_cmpgt_epi32(_mm256_xor_si256(b, flip), vlast);
        unsigned in = (unsigned)(~_mm256_movemask_ps(_mm256_castsi256_ps(outside))) & 0xFFu;
        unsigned high = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(up));
        __m256i idx = _mm256_loadu_si256((const __m256i *)window_compress[in]);
        _mm256_storeu_si256((__m256i *)(kept + n), _mm256_permutevar8x32_epi32(b, idx));
        n += __builtin_popcount(in);
        a += __builtin_popcount(high);
    }
    return window_tail(row, i, count, first, last, kept, n, a, above);
}
// Sixteen at a time: the window's lanes compressed in a register (a compressing store to memory is
// microcoded on Zen 4) and stored whole, the count advanced by how many there were.
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,popcnt")))
static int64_t window_avx512(const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above) {
    const uint32_t first = lo << 16, last = (hi << 16) | 0xFFFFu;
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF), vfirst = _mm512_set1_epi32((int)first),
                  vlast = _mm512_set1_epi32((int)last);
    int64_t n = 0, a = 0, i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512i b = _mm512_and_si512(_mm512_loadu_si512((const void *)(row + i)), magnitude);
        __mmask16 in = _mm512_cmp_epu32_mask(b, vfirst, _MM_CMPINT_NLT) & _mm512_cmp_epu32_mask(b, vlast, _MM_CMPINT_LE);
        __mmask16 up = _mm512_cmp_epu32_mask(b, vlast, _MM_CMPINT_NLE);
        _mm512_storeu_si512((void *)(kept + n), _mm512_maskz_compress_epi32(in, b));
        n += __builtin_popcount((unsigned)in);
        a += __builtin_popcount((unsigned)up);
    }
    return window_tail(row, i, count, first, last, kept, n, a, above);
}
__attribute__((target("avx2"))) static int64_t trim_avx2(float *row, int64_t count, uint32_t cut, int64_t room, float w) { LINES_TRIM_LOOP }
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static int64_t trim_avx512(float *row, int64_t count, uint32_t cut, int64_t room, float w) { LINES_TRIM_LOOP }
__attribute__((target("avx2"))) static void uniform_avx2(uint64_t state, float *out, int64_t count) { LINES_SPLITMIX_LOOP }
__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))) static void uniform_avx512(uint64_t state, float *out, int64_t count) { LINES_SPLITMIX_LOOP }
#endif

void lines_bf16_to_f32(const uint16_t *src, float *dst, int64_t count) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    if (level == 2) { bf16_avx512(src, dst, count); return; }
    if (level == 1) { bf16_avx2(src, dst, count); return; }
#endif
    bf16_portable(src, dst, count);
}

int64_t lines_histogram_window(const float *row, int64_t count, int64_t *hist, uint32_t lo, uint32_t hi, uint32_t *kept) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    if (level == 2) return histogram_avx512(row, count, hist, lo, hi, kept);
    if (level == 1) return histogram_avx2(row, count, hist, lo, hi, kept);
#endif
    return histogram_portable(row, count, hist, lo, hi, kept);
}

int64_t lines_window_select_at(int level, const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above) {
#if defined(__x86_64__)
    const int supported = lines_merge_kernels_supported();
    if (level > supported) level = supported;
    if (level == 2) return window_avx512(row, count, lo, hi, kept, above);
    if (level == 1) return window_avx2(row, count, lo, hi, kept, above);
#endif
    return window_portable(row, count, lo, hi, kept, above);
}

int64_t lines_window_select(const float *row, int64_t count, uint32_t lo, uint32_t hi, uint32_t *kept, int64_t *above) {
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    return lines_window_select_at(level, row, count, lo, hi, kept, above);
}

int64_t lines_trim_weighted(float *row, int64_t count, uint32_t cut, int64_t room, float w) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    if (level == 2) return trim_avx512(row, count, cut, room, w);
    if (level == 1) return trim_avx2(row, count, cut, room, w);
#endif
    return trim_portable(row, count, cut, room, w);
}

void lines_f32_to_bf16(const float *src, uint16_t *dst, int64_t count) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    if (level == 2) { to_bf16_avx512(src, dst, count); return; }
    if (level == 1) { to_bf16_avx2(src, dst, count); return; }
#endif
    to_bf16_portable(src, dst, count);
}

void lines_splitmix_uniforms(uint64_t state, float *out, int64_t count) {
#if defined(__x86_64__)
    static int level = -1;
    if (level < 0) level = lines_merge_kernels_level();
    if (level == 2) { uniform_avx512(state, out, count); return; }
    if (level == 1) { uniform_avx2(state, out, count); return; }
#endif
    uniform_portable(state, out, count);
}
