/*
 * ops/validate.h — what ops share to validate and prepare: input, dtype,
 * shape and attribute validation for infer (a hostile model reaches infer,
 * so every shape, dtype and attribute is checked there and run may trust
 * them; implementations in validate.c and validate_attrs.c), axis
 * normalisation, n-ary broadcast plans, and a range-splitting wrapper over
 * pml_parallel_for. Kernels never include it: they take plain pointers and
 * parameter structs.
 */
#ifndef PML_OPS_VALIDATE_H
#define PML_OPS_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "../internal.h"
#include "../pml_limits.h"

/* Below this many elements a kernel runs on the caller only: the pool's
 * wake-up costs more than the work. */
#define PML_EW_PARALLEL_MIN 16384

/* Input i as a tensor with a known dtype and a sane shape (rank <= PML_MAX_RANK,
 * dims >= 0, element count <= PML_EW_MAX_NUMEL). role names it in errors. */
pml_status pml_ew_input(const pml_kernel_ctx *ctx, int i, const char *role, const pml_tensor **out);

/* Validates an output shape computed by infer (rank, dims >= 0, numel bound). */
pml_status pml_ew_check_shape(const pml_kernel_ctx *ctx, int rank, const int64_t *dims, const char *what);

/* Sets output i's dtype and shape after pml_ew_check_shape. */
pml_status pml_ew_set_output(const pml_kernel_ctx *ctx, int i, pml_dtype dtype, int rank, const int64_t *dims);

/* Sets output 0 to dtype and the broadcast of a's and b's shapes (an error naming both when
 * they do not broadcast): the binary elementwise ops, float and quantized. */
pml_status pml_ew_set_broadcast_output(const pml_kernel_ctx *ctx, const pml_tensor *a, const pml_tensor *b,
                                       pml_dtype dtype);

/* axis in [-rank, rank) -> [0, rank); error naming what otherwise. */
pml_status pml_ew_axis(const pml_kernel_ctx *ctx, int64_t axis, int rank, const char *what, int *out);

/* dtype must be one of the n listed; error lists them otherwise. */
pml_status pml_ew_check_dtype(const pml_kernel_ctx *ctx, const pml_tensor *t, const char *role,
                              const pml_dtype *allowed, int n);

/* Runs fn(arg, begin, end) over [0, n) split into chunks of at least
 * min_chunk items, spread over the session's pool. Small n runs inline. */
typedef void (*pml_range_fn)(void *arg, int64_t begin, int64_t end);
void pml_ew_parallel(const pml_kernel_ctx *ctx, int64_t n, int64_t min_chunk, pml_range_fn fn, void *arg);

/*
 * Broadcast plan of an n-ary elementwise op (n <= PML_BCAST_MAX_IN): the
 * output shape with size-1 dims dropped and neighbouring dims merged whenever
 * every input broadcasts them the same way, plus per-input element strides
 * (0 = broadcast). After collapsing, the innermost dim is contiguous in the
 * output and either contiguous (stride 1) or constant (stride 0) in each
 * input, so inner loops only ever see strides 0 and 1.
 */
#define PML_BCAST_MAX_IN 3
typedef struct pml_bcast_plan {
    int n_in;
    int rank; /* of the collapsed plan, >= 1 */
    int64_t dims[PML_MAX_RANK];
    int64_t strides[PML_BCAST_MAX_IN][PML_MAX_RANK];
} pml_bcast_plan;

/* in[k] must broadcast to y (checked by infer). */
void pml_bcast_plan_init(pml_bcast_plan *p, int n_in, const pml_tensor *const *in, const pml_tensor *y);

/* Calls row(arg, off, pos, n) for each run of output elements inside [s, e)
 * that is contiguous in the innermost plan dim: output elements
 * [pos, pos + n), input k starting at element off[k] with stride
 * p->strides[k][p->rank - 1]. */
typedef void (*pml_bcast_row_fn)(void *arg, const int64_t *off, int64_t pos, int64_t n);
void pml_bcast_walk(const pml_bcast_plan *p, int64_t s, int64_t e, pml_bcast_row_fn row, void *arg);

/* malloc'ed op state of size bytes, recorded in ctx (freed by pml_ew_release). */
void *pml_ew_alloc_state(pml_kernel_ctx *ctx, size_t size);
void pml_ew_release(pml_kernel_ctx *ctx);

/* ---- attributes and windows (validate_attrs.c) ---- */

/* INTS attribute `name` with exactly n values, each in [lo, hi]; def (n
 * values) when absent. Errors (PML_ERR_INVALID_MODEL) name node, attribute
 * and values. */
pml_status pml_attr_ints_checked(const pml_kernel_ctx *ctx, const char *name, int n, const int64_t *def, int64_t lo,
                                 int64_t hi, int64_t *out);
/* INT attribute in [lo, hi], def when absent. */
pml_status pml_attr_int_checked(const pml_kernel_ctx *ctx, const char *name, int64_t def, int64_t lo, int64_t hi,
                                int64_t *out);
/* Flag attributes (keepdims, exclusive, largest...): each of the NULL-terminated `names` that
 * the node has must be the INT 0 or 1 (a .pml writer never emits another value, so anything
 * else is a hostile or corrupt file; the error names node, attribute and value). */
pml_status pml_attr_flags_checked(const pml_kernel_ctx *ctx, const char *const *names);
/* The required INT attribute `to` (Cast, BitCast): a dtype code that output 0's type variable
 * allows in the op's schema; errors list the allowed codes. */
pml_status pml_attr_dtype_to(const pml_kernel_ctx *ctx, pml_dtype *out);
/* Input `index` (role names it in errors) must be present, float32, of the
 * given rank (-1: any), with every dim in [0, PML_MAX_DIM). */
pml_status pml_check_f32_input(const pml_kernel_ctx *ctx, int index, const char *role, int rank);
/* Sets out[0] to float32 dims after checking the element count stays <= PML_MAX_NUMEL. */
pml_status pml_set_f32_output(const pml_kernel_ctx *ctx, int rank, const int64_t *dims);
/* The error for a window (kh x kw, dilations dh, dw) that does not fit x padded by pads[4]. */
pml_status pml_window_too_large(const pml_kernel_ctx *ctx, const pml_tensor *x, int64_t kh, int64_t kw, int64_t dh,
                                int64_t dw, const int64_t *pads);

#endif /* PML_OPS_VALIDATE_H */
