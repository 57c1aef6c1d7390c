/*
 * kernels/pool/pool_typed.h — the type-generic pool kernels (MaxPool/GlobalMaxPool,
 * AveragePool/GlobalAveragePool and LpPool/GlobalLpPool on every dtype ONNX allows;
 * float32 Lp pools and MaxPool with Indices run here too) and MaxUnpool's scatter, one table per dtype
 * (kernels/pool/pool_typed__scalar.c),
 * reached through ctx->config->typed.pool[dtype]. Geometry and window rules as in
 * kernels/pool/pool.h; float32 keeps its own (SIMD) kernels in ctx->config->f32.mm.
 */
#ifndef PML_KERNELS_POOL_TYPED_H
#define PML_KERNELS_POOL_TYPED_H

#include "kernels/common.h"
#include "kernels/pool/pool.h"

/* y rows [row0, row1) of N*OH (x, y of the table's dtype). */
typedef void (*pml_pool_typed_fn)(const pml_pool_geom *g, const void *x, void *y, int64_t row0, int64_t row1);

/* MaxPool with its Indices output: idx (int64, y's shape) as well as y. */
typedef void (*pml_maxpool_idx_fn)(const pml_pool_geom *g, const void *x, void *y, int64_t *idx, int64_t row0,
                                   int64_t row1);

/* MaxUnpool's scatter: y[idx[k]] = x[k] for k in [0, n) in order (indices checked by the op; y zeroed). */
typedef void (*pml_maxunpool_fn)(const void *x, const int64_t *idx, int64_t n, void *y);

typedef struct pml_pool_typed {
    pml_pool_typed_fn maxpool;     /* the window maximum (a float NaN wins) */
    pml_pool_typed_fn avgpool;     /* the window mean (count_include_pad as in pool.h); NULL for integers */
    pml_pool_typed_fn lppool;      /* (sum |x|^p)^(1/p) over the window, p = g->p; NULL for integers */
    pml_maxpool_idx_fn maxpool_idx; /* maxpool and where each maximum is (pml_pool_index; its first NaN) */
    pml_maxunpool_fn maxunpool;    /* by element size; NULL for integers (ONNX's MaxUnpool takes floats) */
} pml_pool_typed;

extern const pml_pool_typed pml_f32_pool_typed__scalar, pml_f16_pool_typed__scalar, pml_s8_pool_typed__scalar,
    pml_u8_pool_typed__scalar;
/* AVX2 (x86 only; kernels/pool/x8_maxpool__avx2.c): int8/uint8 MaxPool vectorized, the rest scalar */
extern const pml_pool_typed pml_s8_pool_typed__avx2, pml_u8_pool_typed__avx2;

/* Initialiser of pml_typed_config.pool: the dtypes the pools take (NULL elsewhere). */
#define PML_POOL_TYPED__SCALAR                                                                                         \
    {[PML_FLOAT32] = &pml_f32_pool_typed__scalar, [PML_FLOAT16] = &pml_f16_pool_typed__scalar,                         \
     [PML_INT8] = &pml_s8_pool_typed__scalar, [PML_UINT8] = &pml_u8_pool_typed__scalar}
#define PML_POOL_TYPED__AVX2                                                                                           \
    {[PML_FLOAT32] = &pml_f32_pool_typed__scalar, [PML_FLOAT16] = &pml_f16_pool_typed__scalar,                         \
     [PML_INT8] = &pml_s8_pool_typed__avx2, [PML_UINT8] = &pml_u8_pool_typed__avx2}

#endif /* PML_KERNELS_POOL_TYPED_H */
