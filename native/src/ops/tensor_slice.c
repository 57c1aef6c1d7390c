/*
 * ops/tensor_slice.c — Slice: clamps starts/ends exactly as ONNX does
 * (negative indices, steps of either sign, out-of-range bounds), then runs
 * the shared strided row copier of ops/tensor.c (memcpy when the innermost
 * source stride is 1). Bounds come from attributes or from inputs known
 * while planning (ops/params.h).
 */
#include <string.h>

#include "../internal.h"
#include "validate.h"
#include "params.h"
#include "tensor.h"

/* Per-axis start, step and output length after ONNX clamping. */
static pml_status slice_plan(pml_kernel_ctx *ctx, const pml_tensor *x, int64_t *start, int64_t *step, int64_t *len) {
    int64_t starts[PML_MAX_RANK], ends[PML_MAX_RANK], axes[PML_MAX_RANK], steps[PML_MAX_RANK];
    int n, ne, na, ns;
    pml_status ps;
    if ((ps = pml_param_ints(ctx, 1, "starts", 0, starts, PML_MAX_RANK, &n)) != PML_OK ||
        (ps = pml_param_ints(ctx, 2, "ends", 0, ends, PML_MAX_RANK, &ne)) != PML_OK ||
        (ps = pml_param_ints(ctx, 3, "axes", 0, axes, PML_MAX_RANK, &na)) != PML_OK ||
        (ps = pml_param_ints(ctx, 4, "steps", 0, steps, PML_MAX_RANK, &ns)) != PML_OK)
        return ps;
    if (n < 0 || ne < 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "required attributes 'starts'/'ends' missing");
    if (ne != n || (na > 0 && na != n) || (ns > 0 && ns != n) || n > x->rank)
        return pml_node_error(ctx, PML_ERR_INVALID_MODEL,
                              "starts/ends/axes/steps have %d/%d/%d/%d entries for a rank-%d input", n, ne, na, ns,
                              x->rank);
    int seen[PML_MAX_RANK] = {0};
    for (int a = 0; a < x->rank; a++) start[a] = 0, step[a] = 1, len[a] = x->dims[a];
    for (int k = 0; k < n; k++) {
        int axis;
        pml_status s = pml_ew_axis(ctx, na > 0 ? axes[k] : k, x->rank, "slice axis", &axis);
        if (s != PML_OK) return s;
        if (seen[axis]) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "axis %d is sliced twice", axis);
        seen[axis] = 1;
        int64_t st = ns > 0 ? steps[k] : 1, d = x->dims[axis], b = starts[k], e = ends[k];
        if (st == 0) return pml_node_error(ctx, PML_ERR_INVALID_MODEL, "step 0 on axis %d", axis);
        /* a step longer than the axis takes one element: clamp so the arithmetic below cannot overflow */
        st = clamp64(st, -PML_EW_MAX_NUMEL - 1, PML_EW_MAX_NUMEL + 1);
        if (b < 0) b += d; /* d >= 0, so adding it to a negative value cannot overflow */
        if (e < 0) e += d;
        int64_t n_out;
        if (st > 0) {
            b = clamp64(b, 0, d);
            e = clamp64(e, 0, d);
            n_out = e > b ? (e - b + st - 1) / st : 0;
        } else {
            b = clamp64(b, 0, d - 1);
            e = clamp64(e, -1, d - 1);
            n_out = d > 0 && b > e ? (b - e - st - 1) / -st : 0;
        }
        start[axis] = n_out ? b : 0;
        step[axis] = st;
        len[axis] = n_out;
    }
    return PML_OK;
}

static pml_status slice_infer(pml_kernel_ctx *ctx) {
    const pml_tensor *x;
    int64_t start[PML_MAX_RANK], step[PML_MAX_RANK], len[PML_MAX_RANK];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "x", &x)) != PML_OK || (s = slice_plan(ctx, x, start, step, len)) != PML_OK)
        return s;
    return pml_ew_set_output(ctx, 0, x->dtype, x->rank, len);
}

static pml_status slice_prepare(pml_kernel_ctx *ctx) {
    strided_copy *p = pml_ew_alloc_state(ctx, sizeof *p);
    if (!p) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory");
    const pml_tensor *x = ctx->in[0];
    int64_t start[PML_MAX_RANK], step[PML_MAX_RANK];
    pml_status s = slice_plan(ctx, x, start, step, p->dims);
    if (s != PML_OK) return s;
    p->esize = pml_dtype_size(x->dtype);
    p->rank = x->rank;
    int64_t t = 1;
    for (int a = x->rank - 1; a >= 0; a--) {
        p->offset += start[a] * t;
        p->stride[a] = step[a] * t;
        t *= x->dims[a];
    }
    if (x->rank == 0) p->rank = 1, p->dims[0] = 1, p->stride[0] = 1;
    return PML_OK;
}

const pml_op_def pml_slice_def = {PML_OP_SLICE, slice_infer, slice_prepare, pml_strided_copy_op_run,
                                   pml_ew_release};
