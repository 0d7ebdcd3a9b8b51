#include <cblas.h>
#include <stddef.h>

/* LAPACK from OpenBLAS (Debian's libopenblas ships the routines, not lapack.h). gfortran passes the
   length of each CHARACTER argument as a hidden size_t after the others. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info, size_t jobz_len);
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_len, size_t uplo_len);
void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau,
             double *work, const int *lwork, int *info, size_t uplo_len);
void dstemr_(const char *jobz, const char *range, const int *n, double *d, double *e, const double *vl,
             const double *vu, const int *il, const int *iu, int *m, double *w, double *z, const int *ldz,
             const int *nzc, int *isuppz, int *tryrac, double *work, const int *lwork, int *iwork,
             const int *liwork, int *info, size_t jobz_len, size_t range_len);
void dormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n, const double *a,
             const int *lda, const double *tau, double *c, const int *ldc, double *work, const int *lwork,
             int *info, size_t side_len, size_t uplo_len, size_t trans_len);
void dsterf_(const int *n, double *d, double *e, int *info);
void dstein_(const int *n, const double *d, const double *e, const int *m, const double *w, const int *iblock,
             const int *isplit, double *z, const int *ldz, double *work, int *iwork, int *ifail, int *info);
