// AVX-512 (16 parameters at a time) and AVX2 (8 at a time, merge_kernels_avx2.c) versions of
// the two TIES passes of the Merging module, chosen at run time.
//
// Every value is computed with the same IEEE float operations, in the same task order, as the
// Swift kernels (`_TIESLanes`, `_MultiTaskKernel`, `_Engine.fusedTIES`): masked adds leave a lane
// unchanged where Swift adds +0 (the same, since those sums never hold −0), and the L1 norms are
// accumulated through `lines_norm8` in Swift's 8-parameter groups. No FMA contraction.
#pragma clang fp contract(off)

#include "CMergeKernels.h"
#include <stdlib.h>
#include <string.h>

/// The kernel set asked for in the environment: `LINES_MERGE_KERNELS=portable|avx2|avx512` caps
/// the choice (for testing the others on one machine); `LINES_NO_AVX512=1` is `portable`.
static int requested_level(void) {
    if (getenv("LINES_NO_AVX512") != NULL) return 0;
    const char *k = getenv("LINES_MERGE_KERNELS");
    if (k == NULL || *k == 0) return 2;
    if (strcmp(k, "portable") == 0) return 0;
    if (strcmp(k, "avx2") == 0) return 1;
    return 2;
}

#if defined(__x86_64__)
#include "_kernel_common.h"

int lines_merge_kernels_supported(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) return 1;
    return 0;
}

int lines_merge_kernels_level(void) {
    const int supported = lines_merge_kernels_supported(), requested = requested_level();
    return supported < requested ? supported : requested;
}


#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,popcnt")))

AVX512 static inline __m256 half(__m512 v, int h) {
    return h == 0 ? _mm512_castps512_ps256(v) : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

AVX512 static inline __m512 masked(__m512 v, __mmask16 m) { return _mm512_maskz_mov_ps(m, v); }

/// Float(n) for small non-negative counts, exactly.
AVX512 static inline __m512 counts_to_float(__m512i n) { return _mm512_cvtepi32_ps(n); }

typedef struct {
    __m512 s, sumPos, sumNeg, maxPos, maxNeg;
    __m512i countPos, countNeg;
} ties_lanes;

AVX512 static inline void lanes_add(ties_lanes *l, __m512 x, __mmask16 kept, int wantMax) {
    __m512 zero = _mm512_setzero_ps();
    __mmask16 pos = kept & _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ);
    __mmask16 neg = kept & _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ);
    l->s = _mm512_mask_add_ps(l->s, kept, l->s, x);
    l->sumPos = _mm512_mask_add_ps(l->sumPos, pos, l->sumPos, x);
    l->sumNeg = _mm512_mask_add_ps(l->sumNeg, neg, l->sumNeg, x);
    l->countPos = _mm512_mask_add_epi32(l->countPos, pos, l->countPos, _mm512_set1_epi32(1));
    l->countNeg = _mm512_mask_add_epi32(l->countNeg, neg, l->countNeg, _mm512_set1_epi32(1));
    if (wantMax) {
        __m512 mag = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF)));
        l->maxPos = _mm512_max_ps(l->maxPos, _mm512_maskz_mov_ps(pos, mag));
        l->maxNeg = _mm512_max_ps(l->maxNeg, _mm512_maskz_mov_ps(neg, mag));
    }
}

/// The merged value under elected sign +1, −1 and 0 (as `_TIESLanes.candidates`).
AVX512 static inline void lanes_candidates(const ties_lanes *l, int agg, __m512 *plus, __m512 *minus, __m512 *zero) {
    __m512i one = _mm512_set1_epi32(1);
    switch (agg) {
    case 0:
        *plus = l->sumPos; *minus = l->sumNeg; *zero = l->sumNeg;
        break;
    case 1:
        *plus = _mm512_div_ps(l->sumPos, counts_to_float(_mm512_max_epi32(l->countPos, one)));
        *minus = _mm512_div_ps(l->sumNeg, counts_to_float(_mm512_max_epi32(l->countNeg, one)));
        *zero = *minus;
        break;
    default:
        *plus = l->maxPos;
        *minus = _mm512_mul_ps(l->maxNeg, _mm512_set1_ps(-1.0f));
        *zero = _mm512_mul_ps(l->maxNeg, _mm512_setzero_ps());
        break;
    }
}

AVX512 void lines_fused_ties_avx512(const lines_fused_ties_part *a) {
    const int T = a->T;
    const int wantMax = a->aggregation == 2;
    const float *const *tasks = a->tasks;
    const float *base = a->base;
    const __m512i absMask = _mm512_set1_epi32(0x7FFFFFFF);
    int64_t records = *a->recordCount, words = *a->recordWords;
    uint32_t notTrimmed[64];
    int full = 0;
    int64_t pos = 0, neg = 0;
    int64_t below[64];
    for (int t = 0; t < T; t++) below[t] = 0;
    for (int64_t i = 0; i < a->count; i += 16) {
        const int64_t rem = a->count - i;
        const __mmask16 live = rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1);
        const int halves = rem > 8 ? 2 : 1;
        __m512 b = _mm512_maskz_loadu_ps(live, base + i);
        __m512 sum = _mm512_setzero_ps();
        ties_lanes l;
        memset(&l, 0, sizeof l);
        __mmask16 unsure = 0;
        uint64_t insideTasks = 0;
        for (int t = 0; t < T; t++) {
            __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, tasks[t] + i), b);
            sum = _mm512_add_ps(sum, x);
            __m512i bits = _mm512_and_si512(_mm512_castps_si512(x), absMask);
            __mmask16 lo = _mm512_cmplt_epi32_mask(bits, _mm512_set1_epi32(a->lower[t])) & live;
            below[t] += __builtin_popcount(lo);
            __mmask16 inside = _mm512_cmple_epi32_mask(bits, _mm512_set1_epi32(a->upper[t])) & ~lo & live;
            if (inside) insideTasks |= 1ull << t;
            __mmask16 above = _mm512_cmpgt_epi32_mask(bits, _mm512_set1_epi32(a->sureUpper[t]));
            notTrimmed[t] = _mm512_cmpge_epi32_mask(bits, _mm512_set1_epi32(a->sureLower[t]));
            unsure |= notTrimmed[t] & ~above;
            lanes_add(&l, x, above, wantMax);
        }
        while (insideTasks) {
            int t = __builtin_ctzll(insideTasks);
            insideTasks &= insideTasks - 1;
            __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, tasks[t] + i), b);
            __m512i bits = _mm512_and_si512(_mm512_castps_si512(x), absMask);
            __mmask16 inside = _mm512_cmpge_epi32_mask(bits, _mm512_set1_epi32(a->lower[t]))
                & _mm512_cmple_epi32_mask(bits, _mm512_set1_epi32(a->upper[t])) & live;
            int64_t n = a->candidateCounts[t];
            int k = __builtin_popcount(inside);
            if (n + k <= a->candidateCapacity) {
                _mm512_mask_compressstoreu_epi32(a->candidates[t] + n, inside, bits);
                a->candidateCounts[t] = n + k;
            } else {
                *a->candidateOverflow = 1;
            }
        }
        for (int h = 0; h < halves; h++) lines_norm_add(a->summed, half(sum, h));
        unsure |= _mm512_cmp_ps_mask(sum, sum, _CMP_UNORD_Q);
        unsure &= live;
        if (unsure && !full) full = lines_append_records(a, i, 16, (uint32_t)unsure, notTrimmed, &records, &words);
        const __mmask16 certain = ~unsure & live;
        const __m512 zero = _mm512_setzero_ps();
        const __mmask16 up = _mm512_cmp_ps_mask(l.s, zero, _CMP_GT_OQ) & certain;
        const __mmask16 down = _mm512_cmp_ps_mask(l.s, zero, _CMP_LT_OQ) & certain;
        pos += __builtin_popcount(up);
        neg += __builtin_popcount(down);
        __m512 plus, minus, zeroValue;
        lanes_candidates(&l, a->aggregation, &plus, &minus, &zeroValue);
        const __mmask16 decided = up | down;
        const __m512 v = _mm512_mask_mov_ps(plus, down, minus);
        const __mmask16 open = ~decided & certain;
        for (int h = 0; h < halves; h++) {
            lines_norm_add(a->decided, half(masked(v, decided), h));
            if (!((open >> (8 * h)) & 0xFF)) continue;
            lines_norm_add(a->undecidedPlus, half(masked(plus, open), h));
            lines_norm_add(a->undecidedMinus, half(masked(minus, open), h));
            lines_norm_add(a->undecidedZero, half(masked(zeroValue, open), h));
        }
    }
    for (int t = 0; t < T; t++) a->below[t] += below[t];
    *a->recordCount = records;
    *a->recordWords = words;
    if (full) *a->full = 1;
    *a->signCount += pos - neg;
}

AVX512 int64_t lines_ties_write_avx512(const lines_ties_write_part *a) {
    const int T = a->T;
    const int wantMax = a->aggregation == 2;
    const __m512i absMask = _mm512_set1_epi32(0x7FFFFFFF);
    const __m512 zero = _mm512_setzero_ps();
    int64_t nonZero = 0;
    for (int64_t i = 0; i < a->count; i += 16) {
        const int64_t rem = a->count - i;
        const __mmask16 live = rem >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << rem) - 1);
        __m512 b = _mm512_maskz_loadu_ps(live, a->base + i);
        ties_lanes l;
        memset(&l, 0, sizeof l);
        for (int t = 0; t < T; t++) {
            __m512 x = _mm512_sub_ps(_mm512_maskz_loadu_ps(live, a->tasks[t] + i), b);
            __m512 mag = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), absMask));
            lanes_add(&l, x, _mm512_cmp_ps_mask(mag, _mm512_set1_ps(a->kth[t]), _CMP_GE_OQ), wantMax);
        }
        // elected = majority, replaced by 1 where s > 0 and by −1 where s < 0.
        __mmask16 sp = _mm512_cmp_ps_mask(l.s, zero, _CMP_GT_OQ), sn = _mm512_cmp_ps_mask(l.s, zero, _CMP_LT_OQ);
        __m512 e = _mm512_mask_mov_ps(_mm512_mask_mov_ps(_mm512_set1_ps(a->majority), sp, _mm512_set1_ps(1.0f)), sn, _mm512_set1_ps(-1.0f));
        __mmask16 positive = _mm512_cmp_ps_mask(e, zero, _CMP_GT_OQ);
        __m512 v;
        switch (a->aggregation) {
        case 0:
            v = _mm512_mask_mov_ps(l.sumNeg, positive, l.sumPos);
            break;
        case 1: {
            __m512i n = _mm512_mask_mov_epi32(l.countNeg, positive, l.countPos);
            v = _mm512_div_ps(_mm512_mask_mov_ps(l.sumNeg, positive, l.sumPos), counts_to_float(_mm512_max_epi32(n, _mm512_set1_epi32(1))));
            break;
        }
        default:
            v = _mm512_mul_ps(_mm512_mask_mov_ps(l.maxNeg, positive, l.maxPos), e);
            break;
        }
        nonZero += __builtin_popcount(_mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ) & live);
        __m512 s = _mm512_mul_ps(_mm512_set1_ps(a->lambda), v);
        if (a->hasOuter) s = _mm512_mul_ps(_mm512_set1_ps(a->outer), s);
        if (!a->taskVectorOnly) s = _mm512_add_ps(b, s);
        _mm512_mask_storeu_ps(a->out + i, live, s);
    }
    return nonZero;
}

#else

int lines_merge_kernels_supported(void) { return 0; }
int lines_merge_kernels_level(void) { return 0; }
void lines_fused_ties_avx512(const lines_fused_ties_part *part) { (void)part; }
int64_t lines_ties_write_avx512(const lines_ties_write_part *part) { (void)part; return 0; }
void lines_fused_ties_avx2(const lines_fused_ties_part *part) { (void)part; }
int64_t lines_ties_write_avx2(const lines_ties_write_part *part) { (void)part; return 0; }

#endif
