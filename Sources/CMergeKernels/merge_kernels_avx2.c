// AVX2 versions of the two TIES passes of the Merging module, 8 parameters at a time: the CPUs
// without AVX-512 (AMD Zen 1–3, Intel client cores) run these.
//
// They are the AVX-512 kernels of merge_kernels.c lane for lane: the same IEEE float operations
// in the same task order (masked adds are blends of the sum, as AVX-512's masked adds leave a
// lane unchanged), the candidates and records in ascending parameter order, and the L1 norms
// accumulated through `lines_norm8` in the same 8-parameter groups, so all three kernel sets
// (Swift, AVX2, AVX-512) give byte-identical outputs. No FMA contraction.
#pragma clang fp contract(off)

#include "CMergeKernels.h"
#include <string.h>

#if defined(__x86_64__)
#include "_kernel_common.h"

#define AVX2 __attribute__((target("avx2,popcnt")))

/// All-ones lanes where `m` (an 8-bit lane mask) has a bit.
AVX2 static inline __m256i lane_mask(int m) {
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(m), bit), bit);
}

/// How far ahead (in floats) each input stream is prefetched: the passes read T + 1 streams at
/// once, more than the hardware prefetchers keep ahead of on some CPUs.
#define PREFETCH_AHEAD 512

/// The 8 values at `p`, the `live` ones only (a masked load for the last, partial group).
AVX2 static inline __m256 load8(const float *p, int live, __m256i liveMask) {
    return live == 0xFF ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, liveMask);
}

/// Prefetches stream `p` once per 64-byte line (every other group of 8).
AVX2 static inline void prefetch_ahead(const float *p, int64_t i) {
    if ((i & 15) == 0) _mm_prefetch((const char *)(p + i + PREFETCH_AHEAD), _MM_HINT_T0);
}

AVX2 static inline int bits_of(__m256 m) { return _mm256_movemask_ps(m); }
AVX2 static inline int ibits_of(__m256i m) { return _mm256_movemask_ps(_mm256_castsi256_ps(m)); }
AVX2 static inline __m256 as_ps(__m256i m) { return _mm256_castsi256_ps(m); }

/// `a + b` where `m`, `a` elsewhere (AVX-512's `mask_add`).
AVX2 static inline __m256 mask_add(__m256 a, __m256 m, __m256 b) { return _mm256_blendv_ps(a, _mm256_add_ps(a, b), m); }

typedef struct {
    __m256 s, sumPos, sumNeg, maxPos, maxNeg;
    __m256i countPos, countNeg;
} ties_lanes8;

AVX2 static inline void lanes_add8(ties_lanes8 *l, __m256 x, __m256 kept, int wantMax) {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 pos = _mm256_and_ps(kept, _mm256_cmp_ps(x, zero, _CMP_GT_OQ));
    const __m256 neg = _mm256_and_ps(kept, _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
    l->s = mask_add(l->s, kept, x);
    l->sumPos = mask_add(l->sumPos, pos, x);
    l->sumNeg = mask_add(l->sumNeg, neg, x);
    // The masks are −1 in their lanes: subtracting adds 1.
    l->countPos = _mm256_sub_epi32(l->countPos, _mm256_castps_si256(pos));
    l->countNeg = _mm256_sub_epi32(l->countNeg, _mm256_castps_si256(neg));
    if (wantMax) {
        __m256 mag = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF)));
        l->maxPos = _mm256_max_ps(l->maxPos, _mm256_and_ps(pos, mag));
        l->maxNeg = _mm256_max_ps(l->maxNeg, _mm256_and_ps(neg, mag));
    }
}

/// The merged value under elected sign +1, −1 and 0 (as `_TIESLanes.candidates`).
AVX2 static inline void lanes_candidates8(const ties_lanes8 *l, int agg, __m256 *plus, __m256 *minus, __m256 *zero) {
    const __m256i one = _mm256_set1_epi32(1);
    switch (agg) {
    case 0:
        *plus = l->sumPos; *minus = l->sumNeg; *zero = l->sumNeg;
        break;
    case 1:
        *plus = _mm256_div_ps(l->sumPos, _mm256_cvtepi32_ps(_mm256_max_epi32(l->countPos, one)));
        *minus = _mm256_div_ps(l->sumNeg, _mm256_cvtepi32_ps(_mm256_max_epi32(l->countNeg, one)));
        *zero = *minus;
        break;
    default:
        *plus = l->maxPos;
        *minus = _mm256_mul_ps(l->maxNeg, _mm256_set1_ps(-1.0f));
        *zero = _mm256_mul_ps(l->maxNeg, _mm256_setzero_ps());
        break;
    }
}

/// Signed 32-bit compares AVX2 lacks, from `>`.
AVX2 static inline __m256i lt32(__m256i a, __m256i b) { return _mm256_cmpgt_epi32(b, a); }
AVX2 static inline __m256i not32(__m256i a) { return _mm256_xor_si256(a, _mm256_set1_epi32(-1)); }

AVX2 void lines_fused_ties_avx2(const lines_fused_ties_part *a) {
    const int T = a->T;
    const int wantMax = a->aggregation == 2;
    const float *const *tasks = a->tasks;
    const float *base = a->base;
    const __m256i absMask = _mm256_set1_epi32(0x7FFFFFFF);
    int64_t records = *a->recordCount, words = *a->recordWords;
    uint32_t notTrimmed[64];
    int full = 0;
    int64_t pos = 0, neg = 0;
    int64_t below[64];
    for (int t = 0; t < T; t++) below[t] = 0;
    for (int64_t i = 0; i < a->count; i += 8) {
        const int64_t rem = a->count - i;
        const int live = rem >= 8 ? 0xFF : (int)((1u << rem) - 1);
        const __m256i liveMask = lane_mask(live);
        prefetch_ahead(base, i);
        __m256 b = load8(base + i, live, liveMask);
        __m256 sum = _mm256_setzero_ps();
        ties_lanes8 l;
        memset(&l, 0, sizeof l);
        int unsure = 0;
        uint64_t insideTasks = 0;
        for (int t = 0; t < T; t++) {
            prefetch_ahead(tasks[t], i);
            __m256 x = _mm256_sub_ps(load8(tasks[t] + i, live, liveMask), b);
            sum = _mm256_add_ps(sum, x);
            __m256i bits = _mm256_and_si256(_mm256_castps_si256(x), absMask);
            const int lo = ibits_of(lt32(bits, _mm256_set1_epi32(a->lower[t]))) & live;
            below[t] += __builtin_popcount(lo);
            const int inside = ibits_of(not32(_mm256_cmpgt_epi32(bits, _mm256_set1_epi32(a->upper[t])))) & ~lo & live;
            if (inside) insideTasks |= 1ull << t;
            const __m256i above = _mm256_cmpgt_epi32(bits, _mm256_set1_epi32(a->sureUpper[t]));
            notTrimmed[t] = (uint32_t)ibits_of(not32(lt32(bits, _mm256_set1_epi32(a->sureLower[t]))));
            unsure |= notTrimmed[t] & ~ibits_of(above);
            lanes_add8(&l, x, as_ps(above), wantMax);
        }
        while (insideTasks) {
            const int t = __builtin_ctzll(insideTasks);
            insideTasks &= insideTasks - 1;
            __m256 x = _mm256_sub_ps(load8(tasks[t] + i, live, liveMask), b);
            __m256i bits = _mm256_and_si256(_mm256_castps_si256(x), absMask);
            const int inside = ibits_of(not32(lt32(bits, _mm256_set1_epi32(a->lower[t]))))
                & ibits_of(not32(_mm256_cmpgt_epi32(bits, _mm256_set1_epi32(a->upper[t])))) & live;
            const int64_t n = a->candidateCounts[t];
            const int k = __builtin_popcount(inside);
            if (n + k <= a->candidateCapacity) {
                uint32_t lanes[8];
                _mm256_storeu_si256((__m256i *)lanes, bits);
                uint32_t *dst = a->candidates[t] + n;
                for (int m = inside; m; m &= m - 1) *dst++ = lanes[__builtin_ctz(m)];
                a->candidateCounts[t] = n + k;
            } else {
                *a->candidateOverflow = 1;
            }
        }
        lines_norm_add(a->summed, sum);
        unsure |= bits_of(_mm256_cmp_ps(sum, sum, _CMP_UNORD_Q));
        unsure &= live;
        if (unsure && !full) full = lines_append_records(a, i, 8, (uint32_t)unsure, notTrimmed, &records, &words);
        const int certain = ~unsure & live;
        const __m256 zero = _mm256_setzero_ps();
        const int up = bits_of(_mm256_cmp_ps(l.s, zero, _CMP_GT_OQ)) & certain;
        const int down = bits_of(_mm256_cmp_ps(l.s, zero, _CMP_LT_OQ)) & certain;
        pos += __builtin_popcount(up);
        neg += __builtin_popcount(down);
        __m256 plus, minus, zeroValue;
        lanes_candidates8(&l, a->aggregation, &plus, &minus, &zeroValue);
        const int decided = up | down;
        const __m256 v = _mm256_blendv_ps(plus, minus, as_ps(lane_mask(down)));
        const int open = ~decided & certain;
        lines_norm_add(a->decided, _mm256_and_ps(v, as_ps(lane_mask(decided))));
        if (!(open & 0xFF)) continue;
        const __m256 openMask = as_ps(lane_mask(open));
        lines_norm_add(a->undecidedPlus, _mm256_and_ps(plus, openMask));
        lines_norm_add(a->undecidedMinus, _mm256_and_ps(minus, openMask));
        lines_norm_add(a->undecidedZero, _mm256_and_ps(zeroValue, openMask));
    }
    for (int t = 0; t < T; t++) a->below[t] += below[t];
    *a->recordCount = records;
    *a->recordWords = words;
    if (full) *a->full = 1;
    *a->signCount += pos - neg;
}

AVX2 int64_t lines_ties_write_avx2(const lines_ties_write_part *a) {
    const int T = a->T;
    const int wantMax = a->aggregation == 2;
    const __m256i absMask = _mm256_set1_epi32(0x7FFFFFFF);
    const __m256 zero = _mm256_setzero_ps();
    int64_t nonZero = 0;
    for (int64_t i = 0; i < a->count; i += 8) {
        const int64_t rem = a->count - i;
        const int live = rem >= 8 ? 0xFF : (int)((1u << rem) - 1);
        const __m256i liveMask = lane_mask(live);
        prefetch_ahead(a->base, i);
        __m256 b = load8(a->base + i, live, liveMask);
        ties_lanes8 l;
        memset(&l, 0, sizeof l);
        for (int t = 0; t < T; t++) {
            prefetch_ahead(a->tasks[t], i);
            __m256 x = _mm256_sub_ps(load8(a->tasks[t] + i, live, liveMask), b);
            __m256 mag = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(x), absMask));
            lanes_add8(&l, x, _mm256_cmp_ps(mag, _mm256_set1_ps(a->kth[t]), _CMP_GE_OQ), wantMax);
        }
        // elected = majority, replaced by 1 where s > 0 and by −1 where s < 0.
        const __m256 sp = _mm256_cmp_ps(l.s, zero, _CMP_GT_OQ), sn = _mm256_cmp_ps(l.s, zero, _CMP_LT_OQ);
        const __m256 e = _mm256_blendv_ps(_mm256_blendv_ps(_mm256_set1_ps(a->majority), _mm256_set1_ps(1.0f), sp), _mm256_set1_ps(-1.0f), sn);
        const __m256 positive = _mm256_cmp_ps(e, zero, _CMP_GT_OQ);
        __m256 v;
        switch (a->aggregation) {
        case 0:
            v = _mm256_blendv_ps(l.sumNeg, l.sumPos, positive);
            break;
        case 1: {
            __m256i n = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(l.countNeg), _mm256_castsi256_ps(l.countPos), positive));
            v = _mm256_div_ps(_mm256_blendv_ps(l.sumNeg, l.sumPos, positive), _mm256_cvtepi32_ps(_mm256_max_epi32(n, _mm256_set1_epi32(1))));
            break;
        }
        default:
            v = _mm256_mul_ps(_mm256_blendv_ps(l.maxNeg, l.maxPos, positive), e);
            break;
        }
        nonZero += __builtin_popcount(bits_of(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ)) & live);
        __m256 s = _mm256_mul_ps(_mm256_set1_ps(a->lambda), v);
        if (a->hasOuter) s = _mm256_mul_ps(_mm256_set1_ps(a->outer), s);
        if (!a->taskVectorOnly) s = _mm256_add_ps(b, s);
        if (live == 0xFF) _mm256_storeu_ps(a->out + i, s); else _mm256_maskstore_ps(a->out + i, liveMask, s);
    }
    return nonZero;
}

#endif
