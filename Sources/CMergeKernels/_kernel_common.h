// Parts shared by the AVX-512 and AVX2 kernels (merge_kernels.c, merge_kernels_avx2.c).
#ifndef LINES_CMERGEKERNELS_COMMON_H
#define LINES_CMERGEKERNELS_COMMON_H

#include "CMergeKernels.h"
#include <immintrin.h>

/// Adds the 8 lanes `v` (already masked; magnitudes taken here) to `n`, flushing the lanes into
/// the double sum every 32 adds (as Swift's `_NormAccumulator`).
__attribute__((target("avx2"))) static inline void lines_norm_add(lines_norm8 *n, __m256 v) {
    __m256 mag = _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7FFFFFFF)));
    __m256 lanes = _mm256_add_ps(_mm256_loadu_ps(n->lanes), mag);
    if (++n->groups == 32) {
        float l[8];
        _mm256_storeu_ps(l, lanes);
        double s = 0;
        for (int k = 0; k < 8; k++) s += (double)l[k];
        n->flushed += s;
        lanes = _mm256_setzero_ps();
        n->groups = 0;
    }
    _mm256_storeu_ps(n->lanes, lanes);
}

/// Appends the records of the `unsure` lanes of the `lanes` parameters starting at `i`: a 64-bit
/// mask of the tasks whose lane bit is set in `notTrimmed[t]`, then τ_t of those tasks in task
/// order. Returns 0, or 1 when the record list is full (the remaining lanes are not recorded).
static inline int lines_append_records(const lines_fused_ties_part *a, int64_t i, int lanes, uint32_t unsure,
                                       const uint32_t *notTrimmed, int64_t *records, int64_t *words) {
    for (int lane = 0; lane < lanes; lane++) {
        if (!(unsure >> lane & 1)) continue;
        uint64_t mask = 0;
        for (int t = 0; t < a->T; t++) mask |= (uint64_t)((notTrimmed[t] >> lane) & 1) << t;
        const int n = __builtin_popcountll(mask);
        if (*words + 2 + n > a->recordCapacity) return 1;
        uint32_t *r = a->records + *words;
        r[0] = (uint32_t)mask;
        r[1] = (uint32_t)(mask >> 32);
        float *v = (float *)(r + 2);
        for (uint64_t m = mask; m; m &= m - 1) {
            const int t = __builtin_ctzll(m);
            *v++ = a->tasks[t][i + lane] - a->base[i + lane];
        }
        *words += 2 + n;
        *records += 1;
    }
    return 0;
}

#endif
