// The machine's fp32 FMA ceiling: 2 threads, each running 12 independent chains of 16-lane
// (AVX-512) or 8-lane (AVX2) fused multiply-adds, as many as the cores can retire per cycle.
// Prints one JSON line with GFLOP/s (2 FLOP per multiply-add), the bound no fp32 GEMM can pass.
//
//   cc -O3 -march=native -pthread Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define STEPS 100000000L
#if defined(__AVX512F__)
#define LANES 16
typedef __m512 vec;
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#else
#define LANES 8
typedef __m256 vec;
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
static float SUM(__m256 v) { float f[8]; _mm256_storeu_ps(f, v); float s = 0; for (int i = 0; i < 8; i++) s += f[i]; return s; }
#endif

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static void *chains(void *out) {
    vec acc[12];
    for (int i = 0; i < 12; i++) acc[i] = SET1((float)i);
    const vec x = SET1(0.999999f), y = SET1(1e-7f);
    for (long n = 0; n < STEPS / 12; n++)
        for (int i = 0; i < 12; i++) acc[i] = FMA(acc[i], x, y);
    float s = 0;
    for (int i = 0; i < 12; i++) s += SUM(acc[i]);
    *(float *)out = s;
    return NULL;
}

int main(void) {
    float sink[2];
    pthread_t th[2];
    double best = 0;
    for (int round = 0; round < 3; round++) {
        double t = now();
        for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, chains, &sink[i]);
        for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
        double g = 2.0 * (STEPS / 12 * 12) * LANES * 2 / (now() - t) / 1e9;
        if (g > best) best = g;
    }
    printf("{\"fma_peak_gflops_2_threads\": %.1f, \"lanes\": %d, \"check\": %g}\n", best, LANES, sink[0] + sink[1]);
    return 0;
}
