/*
 * kernels/matmul/gemm.h — the f32 GEMM engine shared by the conv and matmul families,
 * and the kernel table of the conv/matmul/pool/norm/attention families
 * (one per configuration, kernels/config.c).
 *
 * C[M,N] = act(A[M,K] @ B[K,N] + bias) is computed from B packed once
 * (weights: in prepare) into 16-column panels, K-blocked:
 *
 *   for each K block kb (k0 = kb*kc, kcb = min(kc, K-k0) rows):
 *     for each panel p (columns 16p..16p+15, zero beyond N):
 *       kcb x 16 floats, row-major, at packed + k0*n_pad + p*kcb*16
 *   then n_pad bias floats (zero where absent) at packed + K*n_pad.
 *
 * Every panel row is one 64-byte line and every panel starts 64-byte aligned
 * (the buffer is 64-aligned and kcb*16 floats is a multiple of 64 bytes), so
 * micro-kernels use aligned loads. kc <= PML_GEMM_KC_MAX keeps a kc x 16
 * panel plus an mr x kc slice of A inside a 32 KiB L1.
 *
 * A is not packed for plain GEMMs: micro-kernels broadcast from mr row
 * pointers (a + r*lda). Convolutions that need im2col (or a transposed A)
 * supply a pack_a callback that materialises one M block x K block of A into
 * per-thread scratch, so the im2col buffer stays a few hundred KiB at most.
 *
 * The driver splits the work into tasks (batch x M blocks x N blocks) run by
 * pml_parallel_for; within a task the loop order is K block -> panel -> rows,
 * so one B panel stays in L1 while the task's A block streams from L2.
 */
#ifndef PML_KERNELS_GEMM_H
#define PML_KERNELS_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/activation.h"
#include "kernels/attention/attention.h" /* pml_f32_attn_row_fn */
#include "kernels/norm/norm.h"           /* pml_f32_norm_row_fn */
#include "kernels/parallel.h"

#define PML_GEMM_NR 16
#define PML_GEMM_KC_MAX 256

/*
 * Micro-kernel: C[mr x nr] = act(init_or_C + A[mr x kc] @ W[kc x 16]).
 *   a    : row r at a + r*lda, k contiguous (no alignment required)
 *   w    : one packed panel (64-byte aligned, 16 floats per k)
 *   init : 16 floats (bias panel) to start from, or NULL to accumulate onto C
 *   act  : epilogue applied before the store, or NULL (not the last K block):
 *          optional residual (act->has_sum), then the activation (PRelu with
 *          act->slope[j] for column j of this tile)
 * 1 <= mr <= the kernel's MR, 1 <= nr <= 16; kc may be 0. Only the mr x nr
 * corner of C is read or written.
 */
typedef void (*pml_f32_gemm_ukernel)(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                     const float *init, float *c, size_t ldc, const pml_activation *act);

/* y[r*ldy + j] = act(y[...] + bias[j]) for r < rows, j < cols (bias may be NULL). */
typedef void (*pml_f32_bias_act_fn)(float *y, int64_t rows, int64_t cols, int64_t ldy, const float *bias,
                                    const pml_activation *act);

/* Implicit-GEMM conv tile (kernels/conv/conv_direct.c): C[mr x nr] = act(init + A @ W)
 * where A row r is nseg segments of seglen floats at rows[r] + s*row_stride[r]
 * and W is one packed panel of nseg*seglen rows; init is never NULL. */
typedef void (*pml_f32_conv_ukernel)(size_t mr, size_t nr, size_t nseg, size_t seglen, const float *const *rows,
                                     const int64_t *row_stride, const float *w, const float *init, float *c,
                                     size_t ldc, const pml_activation *act);

/* The tile epilogue as a pass over y (r < rows, j < cols): y[r*ldy + j] =
 * act(y + the residual at act->sum_offset if act->has_sum), PRelu with
 * act->slope[j] for column j. */
typedef void (*pml_f32_sum_act_fn)(float *y, int64_t rows, int64_t cols, int64_t ldy, const pml_activation *act);

struct pml_conv_geom;
struct pml_pool_geom;
/* Depthwise conv (group == Cin, multiplier 1) over output rows [row0, row1) of
 * the flattened [N*OH] space. w: [KH*KW][c_pad] taps then c_pad bias. */
typedef void (*pml_f32_dwconv_fn)(const struct pml_conv_geom *g, const float *x, const float *w, float *y,
                                  int64_t row0, int64_t row1, const pml_activation *act);
/* Window pool over output rows [row0, row1) of the flattened [N*OH] space
 * (global pools are windows of H x W). */
typedef void (*pml_f32_pool_fn)(const struct pml_pool_geom *g, const float *x, float *y, int64_t row0,
                                int64_t row1);


/* The kernels one session uses for the conv, matmul and pool families. */
typedef struct pml_f32_kernels {
    const char *isa;
    size_t gemm_mr;                /* rows of gemm's tile */
    pml_f32_gemm_ukernel gemm;     /* gemm_mr x 16 */
    pml_f32_gemm_ukernel gemm_1;   /* 1 x 16, for single-row tiles (GEMV-like shapes) */
    pml_f32_conv_ukernel conv;     /* gemm_mr x 16 implicit-GEMM conv tile */
    pml_f32_bias_act_fn bias_act;
    pml_f32_sum_act_fn sum_act;    /* Conv's residual + activation epilogue */
    pml_f32_dwconv_fn dwconv;      /* depthwise conv (group == Cin == Cout) */
    pml_f32_pool_fn maxpool, avgpool;
    pml_f32_norm_row_fn norm_row;  /* LayerNormalization / RMSNormalization */
    pml_f32_attn_row_fn attn_row;  /* fused Attention's masked softmax */
} pml_f32_kernels;

/* ---- packing B ------------------------------------------------------------------ */

/* K block size used for a given K (both packing and the driver use it). */
int64_t pml_gemm_kc(int64_t k);
static inline int64_t pml_gemm_n_pad(int64_t n) { return (n + PML_GEMM_NR - 1) / PML_GEMM_NR * PML_GEMM_NR; }
/* Floats of one packed B (panels + bias). */
static inline size_t pml_gemm_packed_floats(int64_t k, int64_t n) {
    return (size_t)(k + 1) * (size_t)pml_gemm_n_pad(n);
}

/* Pack B[k][n] = alpha * b[k*stride_k + n*stride_n] and bias[n] =
 * bias_scale * bias[n*bias_stride] (zero if bias is NULL) into out, which
 * must hold pml_gemm_packed_floats(k, n) floats and be 64-byte aligned. */
void pml_gemm_pack_b(const float *b, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n, float alpha,
                     const float *bias, int64_t bias_stride, float bias_scale, float *out);

/* ---- the driver ------------------------------------------------------------------- */

/* Materialise rows [m0, m0+mb) x columns [k0, k0+kcb) of batch item
 * `batch`'s A into dst (row r at dst + r*ld). */
typedef void (*pml_gemm_pack_a_fn)(const void *ctx, int64_t batch, int64_t m0, int64_t mb, int64_t k0,
                                   int64_t kcb, float *dst, int64_t ld);
/* Pointers of batch item `batch`: A (ignored when pack_a is set), packed B, C. */
typedef void (*pml_gemm_batch_fn)(const void *ctx, int64_t batch, const float **a, const float **packed_b,
                                  float **c);

typedef struct pml_gemm_problem {
    int64_t m, n, k;
    int64_t batch;            /* independent GEMMs of this shape (groups, matmul batches); >= 1 */
    const float *a;           /* batch 0 (or all batches when batch_ptrs is NULL) */
    int64_t lda;
    const float *packed_b;
    float *c;
    int64_t ldc;
    pml_gemm_batch_fn batch_ptrs;  /* NULL: every batch uses a, packed_b, c */
    pml_gemm_pack_a_fn pack_a;     /* NULL: A read in place */
    const void *cb_ctx;
    int accumulate;           /* 1: start from the values in C instead of the packed bias */
    pml_activation act;       /* may carry Conv's residual (has_sum) and PRelu slopes of batch 0's columns */
    int64_t batch_cols;       /* act.slope: batch item b's columns start at slope + b * batch_cols */
} pml_gemm_problem;

/* One output element's epilogue in scalar code: act(v + residual at c + sum_offset),
 * PRelu with the slope of column j (act->slope is the tile's first column). */
static inline float pml_epilogue_scalar(const pml_activation *act, float v, const float *c, size_t j) {
    if (act->has_sum) v += c[act->sum_offset];
    if (act->kind == PML_ACT_PRELU) return v < 0.0f ? v * act->slope[j] : v;
    return pml_activation_scalar(act, v);
}

/* Floats of scratch one thread needs for a problem (0 unless pack_a is set). */
size_t pml_gemm_scratch_floats(const pml_f32_kernels *kern, const pml_gemm_problem *p);
/* Runs the problem on the pool. scratch: pml_threadpool_size(pool) regions of
 * pml_gemm_scratch_floats floats each, 64-byte aligned (may be NULL if 0). */
void pml_gemm_run(const pml_f32_kernels *kern, const pml_gemm_problem *p, pml_threadpool *pool, float *scratch);

/* Naive reference: C[i,j] = act(sum_k A[i*lda_m + k*lda_k] * B[k*ldb_k + j*ldb_n] * alpha + cinit),
 * cinit = accumulate ? C[i,j] : (bias ? bias[j] : 0). The oracle of the matmul family. */
void pml_f32_gemm_ref(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda_m, int64_t lda_k,
                      const float *b, int64_t ldb_k, int64_t ldb_n, float alpha, const float *bias, int accumulate,
                      float *c, int64_t ldc, const pml_activation *act);

/* The micro-kernels and epilogues, declared from their variant list
 * (kernels/matmul/matmul_variants.h). */
#define PML_F32_GEMM(tile, isa, mr, nr)                                                                           \
    void pml_f32_gemm_##tile##__##isa(size_t mr_, size_t nr_, size_t kc, const float *a, size_t lda, const float *w, \
                                      const float *init, float *c, size_t ldc, const pml_activation *act);
#define PML_F32_CONV_TILE(tile, isa, mr, nr)                                                                       \
    void pml_f32_conv_##tile##__##isa(size_t mr_, size_t nr_, size_t nseg, size_t seglen, const float *const *rows, \
                                      const int64_t *row_stride, const float *w, const float *init, float *c,      \
                                      size_t ldc, const pml_activation *act);
#define PML_F32_EPILOGUE(isa)                                                                                     \
    void pml_f32_bias_act__##isa(float *y, int64_t rows, int64_t cols, int64_t ldy, const float *bias,            \
                                 const pml_activation *act);                                                      \
    void pml_f32_sum_act__##isa(float *y, int64_t rows, int64_t cols, int64_t ldy, const pml_activation *act);
#include "kernels/matmul/matmul_variants.h"

#endif /* PML_KERNELS_GEMM_H */
