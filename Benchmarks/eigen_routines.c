// The LAPACK routines behind the SVD merges' top-k and Procrustes steps, on the Gram matrix of a
// random 3072×768 matrix (the shape of ViT-B/32's MLP weights): the Gram matrix by dsyrk, the
// tridiagonal reduction, MRRR on the top 96 (dstemr, what the merges used before) against all
// eigenvalues by dsterf plus inverse iteration for the top 96 (dstein, what they use now), the
// back-transformation, and the full dsyevd of the Procrustes step. OpenBLAS single-threaded, as
// the merges run it (one tensor per core). Milliseconds, mean of 5 calls.
//
//   cc -O2 Benchmarks/eigen_routines.c -o /tmp/eigen_routines -lopenblas && OPENBLAS_NUM_THREADS=1 /tmp/eigen_routines
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dsytrd_(char *, int *, double *, int *, double *, double *, double *, double *, int *, int *, size_t);
void dstemr_(char *, char *, int *, double *, double *, double *, double *, int *, int *, int *, double *, double *,
             int *, int *, int *, int *, double *, int *, int *, int *, int *, size_t, size_t);
void dsterf_(int *, double *, double *, int *);
void dstein_(int *, double *, double *, int *, double *, int *, int *, double *, int *, double *, int *, int *, int *);
void dormtr_(char *, char *, char *, int *, int *, double *, int *, double *, double *, int *, double *, int *, int *,
             size_t, size_t, size_t);
void dsyevd_(char *, char *, int *, double *, int *, double *, double *, int *, int *, int *, int *, size_t, size_t);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define REPS 5
#define TIME(label, body)                                                   \
    do {                                                                    \
        double t0 = now();                                                  \
        for (int rep = 0; rep < REPS; rep++) { body; }                        \
        printf("%-40s %7.1f ms\n", label, (now() - t0) / REPS * 1e3);       \
    } while (0)

int main(void) {
    int m = 3072, n = 768, k = 96, info;
    srand(1);
    double *a = malloc(sizeof(double) * m * n), *g = malloc(sizeof(double) * n * n), *r = malloc(sizeof(double) * n * n);
    double *z = malloc(sizeof(double) * n * n), *d = malloc(8 * n), *e = malloc(8 * n), *tau = malloc(8 * n);
    double *d2 = malloc(8 * n), *e2 = malloc(8 * n), *w = malloc(8 * n);
    int lwork = 1 + 6 * n + 2 * n * n, liwork = 10 * n;
    double *work = malloc(sizeof(double) * lwork);
    int *iwork = malloc(sizeof(int) * liwork), *isuppz = malloc(sizeof(int) * 2 * n);
    int *iblock = malloc(sizeof(int) * n), *isplit = malloc(sizeof(int) * n), *ifail = malloc(sizeof(int) * n);
    for (long i = 0; i < (long)m * n; i++) a[i] = rand() / (double)RAND_MAX - 0.5;
    char lower = 'L', vectors = 'V', index = 'I', left = 'L', none = 'N';

    TIME("dsyrk (Gram of 3072x768)", cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, n, m, 1.0, a, m, 0.0, g, n));
    TIME("dsytrd (tridiagonal reduction)", {
        memcpy(r, g, sizeof(double) * n * n);
        dsytrd_(&lower, &n, r, &n, d, e, tau, work, &lwork, &info, 1);
    });
    double vl = 0, vu = 0;
    int il = n - k + 1, iu = n, found, ldz = n, nzc = k, tryrac = 1;
    TIME("dstemr, top 96 (before)", {
        memcpy(d2, d, 8 * n); memcpy(e2, e, 8 * n);
        dstemr_(&vectors, &index, &n, d2, e2, &vl, &vu, &il, &iu, &found, w, z, &ldz, &nzc, isuppz, &tryrac, work,
                &lwork, iwork, &liwork, &info, 1, 1);
    });
    TIME("dsterf, all eigenvalues (now)", {
        memcpy(d2, d, 8 * n); memcpy(e2, e, 8 * n);
        dsterf_(&n, d2, e2, &info);
    });
    // d2 holds the eigenvalues ascending: the top k are its last k.
    for (int i = 0; i < k; i++) { w[i] = d2[n - k + i]; iblock[i] = 1; }
    isplit[0] = n;
    TIME("dstein, top 96 vectors (now)", dstein_(&n, d, e, &k, w, iblock, isplit, z, &ldz, work, iwork, ifail, &info));
    TIME("dormtr, 96 vectors back", dormtr_(&left, &lower, &none, &n, &k, r, &n, tau, z, &n, work, &lwork, &info, 1, 1, 1));
    TIME("dsyevd, all pairs (Procrustes)", {
        memcpy(r, g, sizeof(double) * n * n);
        dsyevd_(&vectors, &lower, &n, r, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    });
    return info != 0;
}
