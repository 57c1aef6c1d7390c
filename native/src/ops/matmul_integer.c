/*
 * ops/matmul_integer.c — MatMulInteger: y = (a - a_zero_point) @ (b - b_zero_point), int8/uint8
 * operands, exact int32 y (MatMul's shapes: 1-D operands promoted, batch dims broadcast).
 * Semantics: src/pocketml/ops/matmul.py.
 *
 * MatMulIntegerToFloat (com.microsoft) is the same product with its inputs in other places
 * (a, b, a_scale, b_scale, a_zero_point, b_zero_point, bias) and a float32 y: each task's int32
 * rows are converted in place, y = float(acc) * (a_scale * b_scale_j) + bias_j
 * (kernels/quant/qmatmul.h), while they are in cache.
 *
 * Runs the integer GEMM of kernels/matmul/matmul_typed.h: typed.matmul[B's dtype] packs B
 * (minus its zero point) and typed.matmul[A's dtype] multiplies. A constant, unbatched B with
 * a constant (or no) zero point -- weights -- is packed once per session by pack (in the
 * configuration's quad form for int8 weights with a zero point of 0, where it has one: vpdpbusd
 * on the avx512vnni configuration); any other B is packed at the start of every run into
 * scratch, one operand per B matrix. Work is
 * split over (output batch, block of MMI_ROWS rows of A).
 */
#include <string.h>

#include "../internal.h"
#include "igemm.h"
#include "kernels/config.h"
#include "kernels/quant/qmatmul.h"
#include "validate.h"

#define MMI_ROWS 16 /* rows of A per task */

typedef struct mmi_state {
    int to_float;                 /* MatMulIntegerToFloat */
    int in_za, in_zb;             /* the zero points' input slots */
    pml_igemm_fn gemm;
    pml_igemm_pack_fn pack;
    pml_igemm_quad_fn quad;       /* A's quad kernel, for a B packed in the quad form */
    int64_t m, n, k, batch, b_mats, row_blocks;
    int nbd;
    int64_t bdims[PML_MAX_RANK], astr[PML_MAX_RANK], bstr[PML_MAX_RANK];
    size_t sk, sn;                /* element strides of one B matrix */
    size_t za_row, zb_col;        /* zero point strides per row of A / column of B (0: one value) */
    int64_t za_mat, zb_mat;       /* zero point elements per A / B matrix (0: shared) */
    const pml_igemm_b *packed;    /* ctx->packed (not owned), or NULL: packed into scratch per run */
    size_t b_bytes;               /* one packed operand */
    /* run */
    const uint8_t *a, *b, *za, *zb; /* int8 and uint8 are one byte: byte offsets are element offsets */
    int32_t *y;
    char *scratch;
    const float *a_scale, *b_scale, *bias; /* MatMulIntegerToFloat */
    size_t b_scale_col;                    /* 1: b_scale per column, 0: one value */
} mmi_state;

/* MatMulIntegerToFloat's inputs: a, b, a_scale, b_scale, a_zero_point, b_zero_point, bias */
static int mmi_to_float(const pml_kernel_ctx *ctx) { return ctx->node->op == PML_OP_MATMULINTEGERTOFLOAT; }
static int mmi_zb_slot(const pml_kernel_ctx *ctx) { return mmi_to_float(ctx) ? 5 : 3; }

static void mmi_slots(const pml_kernel_ctx *ctx, mmi_state *st) {
    st->to_float = mmi_to_float(ctx);
    st->in_za = st->to_float ? 4 : 2, st->in_zb = mmi_zb_slot(ctx);
}

/* A zero point's strides: one value, per row of a (per_axis -2) / column of b (-1) as a vector
 * [M] / [N], or x's shape with the other of its last two dims 1 (one vector per matrix). */
static pml_status zero_point_form(const pml_kernel_ctx *ctx, int i, const pml_tensor *x, int per_axis, size_t *vec,
                                  int64_t *per_mat) {
    const pml_tensor *z = i < ctx->n_in ? ctx->in[i] : NULL;
    *vec = 0, *per_mat = 0;
    if (!z) return PML_OK;
    pml_status s = pml_ew_check_shape(ctx, z->rank, z->dims, per_axis == -2 ? "a_zero_point" : "b_zero_point");
    if (s) return s;
    if (z->rank <= 1 && pml_shape_numel(z->rank, z->dims) == 1) return PML_OK;
    const int r = x->rank, other = per_axis == -2 ? r - 1 : r - 2;
    const int64_t len = r >= 2 ? x->dims[r + per_axis] : -1;
    if (r >= 2 && z->rank == 1 && z->dims[0] == len) {
        *vec = 1;
        return PML_OK;
    }
    int full = r >= 2 && z->rank == r;
    for (int d = 0; full && d < r; d++) full = z->dims[d] == (d == other ? 1 : x->dims[d]);
    if (full) {
        *vec = 1, *per_mat = len;
        return PML_OK;
    }
    char bz[160], bx[160];
    return pml_node_error(ctx, PML_ERR_SHAPE, "%s zero point %s must be one value, [%lld] or %s's shape with dim %d "
                          "= 1 (%s is %s)", per_axis == -2 ? "a" : "b", pml_shape_str(z->rank, z->dims, bz, sizeof bz),
                          (long long)len, per_axis == -2 ? "a" : "b", other - r, per_axis == -2 ? "a" : "b",
                          pml_shape_str(r, x->dims, bx, sizeof bx));
}

/* MatMulIntegerToFloat's a_scale (one value), b_scale (one value or [N]) and bias ([N]). */
static pml_status mmi_float_inputs(const pml_kernel_ctx *ctx, mmi_state *st) {
    if (!st->to_float) return PML_OK;
    static const char *const names[3] = {"a_scale", "b_scale", "bias"};
    static const int slots[3] = {2, 3, 6};
    for (int i = 0; i < 3; i++) {
        const pml_tensor *t = slots[i] < ctx->n_in ? ctx->in[slots[i]] : NULL;
        if (!t) continue; /* a_scale and b_scale are required: the loader checked their presence */
        const int64_t count = pml_shape_numel(t->rank, t->dims);
        const int one = count == 1 && t->rank <= 1, column = t->rank == 1 && t->dims[0] == st->n;
        if ((i == 0 && !one) || (i == 1 && !one && !column) || (i == 2 && !column)) {
            char bt[160];
            return pml_node_error(ctx, PML_ERR_SHAPE, "%s of shape %s must be %s", names[i],
                                  pml_shape_str(t->rank, t->dims, bt, sizeof bt),
                                  i == 0 ? "one value" : i == 1 ? "one value or [N]" : "[N]");
        }
        if (i == 1) st->b_scale_col = column && st->n != 1;
    }
    return PML_OK;
}

/* Shapes, batch layout and zero point forms; out: y's shape. */
static pml_status mmi_parse(const pml_kernel_ctx *ctx, mmi_state *st, int *out_rank, int64_t *out) {
    const pml_tensor *a, *b;
    char ba[160], bb[160];
    pml_status s;
    if ((s = pml_ew_input(ctx, 0, "a", &a)) || (s = pml_ew_input(ctx, 1, "b", &b))) return s;
    pml_shape_str(a->rank, a->dims, ba, sizeof ba);
    pml_shape_str(b->rank, b->dims, bb, sizeof bb);
    if (a->rank < 1 || b->rank < 1)
        return pml_node_error(ctx, PML_ERR_SHAPE, "operands must have rank >= 1, got a %s and b %s", ba, bb);
    const int ra = a->rank, rb = b->rank, nba = ra > 2 ? ra - 2 : 0, nbb = rb > 2 ? rb - 2 : 0;
    st->k = a->dims[ra - 1];
    st->m = ra >= 2 ? a->dims[ra - 2] : 1;
    st->n = rb >= 2 ? b->dims[rb - 1] : 1;
    if ((rb >= 2 ? b->dims[rb - 2] : b->dims[0]) != st->k)
        return pml_node_error(ctx, PML_ERR_SHAPE, "a %s @ b %s: inner dimensions differ", ba, bb);
    if (pml_broadcast_shapes(nba, a->dims, nbb, b->dims, &st->nbd, st->bdims) != 0)
        return pml_node_error(ctx, PML_ERR_SHAPE, "batch dims of a %s and b %s do not broadcast", ba, bb);
    int64_t sa = 1, sb = 1;
    st->batch = 1;
    for (int i = st->nbd - 1; i >= 0; i--) { /* matrix-index strides along each output batch dim */
        const int ia = i - (st->nbd - nba), ib = i - (st->nbd - nbb);
        const int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        st->astr[i] = da == 1 ? 0 : sa;
        st->bstr[i] = db == 1 ? 0 : sb;
        sa *= da, sb *= db;
        st->batch *= st->bdims[i];
    }
    st->b_mats = sb;
    st->sk = rb >= 2 ? (size_t)st->n : 1;
    st->sn = rb >= 2 ? 1 : 0;
    mmi_slots(ctx, st);
    if ((s = zero_point_form(ctx, st->in_za, a, -2, &st->za_row, &st->za_mat)) ||
        (s = zero_point_form(ctx, st->in_zb, b, -1, &st->zb_col, &st->zb_mat)) || (s = mmi_float_inputs(ctx, st)))
        return s;
    int r = 0;
    for (int i = 0; i < st->nbd; i++) out[r++] = st->bdims[i];
    if (ra >= 2) out[r++] = st->m;
    if (rb >= 2) out[r++] = st->n;
    *out_rank = r;
    return PML_OK;
}

static pml_status mmi_infer(pml_kernel_ctx *ctx) {
    mmi_state st;
    int rank = 0;
    int64_t dims[PML_MAX_RANK];
    memset(&st, 0, sizeof st);
    pml_status s = mmi_parse(ctx, &st, &rank, dims);
    return s ? s : pml_ew_set_output(ctx, 0, st.to_float ? PML_FLOAT32 : PML_INT32, rank, dims);
}

/* Constant B without batch dims and a constant (or no) zero point of one value or one per column. */
static pml_status mmi_pack(pml_kernel_ctx *ctx) {
    const int zb_slot = mmi_zb_slot(ctx);
    const pml_tensor *b = ctx->n_in > 1 ? ctx->in[1] : NULL, *zb = ctx->n_in > zb_slot ? ctx->in[zb_slot] : NULL;
    if (!b || !b->is_const || !b->data || b->rank < 1 || (zb && (!zb->is_const || !zb->data))) return PML_OK;
    const pml_matmul_typed *t = ctx->config->typed.matmul[b->dtype];
    if (!t || !t->igemm_pack || (zb && zb->dtype != b->dtype)) return PML_OK;
    const int rb = b->rank;
    for (int i = 0; i < rb - 2; i++)
        if (b->dims[i] != 1) return PML_OK;
    const int64_t k = rb >= 2 ? b->dims[rb - 2] : b->dims[0], n = rb >= 2 ? b->dims[rb - 1] : 1;
    if (pml_igemm_quads_apply(ctx, ctx->in[0], b, zb))
        return pml_igemm_pack_const_quads(ctx, t->igemm_quad_pack, b->data, k, n, rb >= 2 ? (size_t)n : 1,
                                          rb >= 2 ? 1 : 0);
    size_t zstride = 0;
    if (zb) {
        const int64_t zn = pml_shape_numel(zb->rank, zb->dims);
        if (zn != 1 && (zn != n || zb->dims[zb->rank - 1] != n)) return PML_OK; /* infer reports it */
        zstride = zn == 1 ? 0 : 1;
    }
    return pml_igemm_pack_const(ctx, t->igemm_pack, b->data, k, n, rb >= 2 ? (size_t)n : 1, rb >= 2 ? 1 : 0,
                                zb ? zb->data : NULL, zstride);
}

static pml_status mmi_prepare(pml_kernel_ctx *ctx) {
    mmi_state *st = (mmi_state *)pml_ew_alloc_state(ctx, sizeof *st);
    if (!st) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory for MatMulInteger state");
    int rank = 0;
    int64_t dims[PML_MAX_RANK];
    pml_status s = mmi_parse(ctx, st, &rank, dims);
    if (s) return s;
    if ((s = pml_igemm_kernels(ctx, &st->gemm, &st->pack))) return s;
    st->quad = ctx->config->typed.matmul[ctx->in[0]->dtype]->igemm_quad;
    st->row_blocks = (st->m + MMI_ROWS - 1) / MMI_ROWS;
    st->b_bytes = pml_igemm_b_bytes(st->k, st->n);
    st->packed = st->b_mats == 1 ? pml_igemm_packed(ctx, st->k, st->n) : NULL; /* one B: zb_mat never offsets */
    ctx->scratch_size = st->packed ? 0 : (size_t)st->b_mats * st->b_bytes;
    return PML_OK;
}

static pml_igemm_b mmi_operand(const mmi_state *st, int64_t ib) {
    return st->packed ? *st->packed : pml_igemm_b_at(st->scratch + (size_t)ib * st->b_bytes, st->k, st->n);
}

static void mmi_pack_range(void *arg, int64_t i0, int64_t i1) {
    const mmi_state *st = (const mmi_state *)arg;
    for (int64_t ib = i0; ib < i1; ib++) {
        pml_igemm_b op = mmi_operand(st, ib);
        st->pack((size_t)st->k, (size_t)st->n, st->b + ib * st->k * st->n, st->sk, st->sn,
                 st->zb ? st->zb + ib * st->zb_mat : NULL, st->zb_col, op.cols, op.colsum);
    }
}

/* Tasks t = (output batch, block of rows). */
static void mmi_rows(void *arg, int64_t t0, int64_t t1) {
    const mmi_state *st = (const mmi_state *)arg;
    for (int64_t t = t0; t < t1; t++) {
        int64_t i = t / st->row_blocks, r0 = t % st->row_blocks * MMI_ROWS, ia = 0, ib = 0, rest = i;
        const int64_t rows = st->m - r0 < MMI_ROWS ? st->m - r0 : MMI_ROWS;
        for (int d = st->nbd - 1; d >= 0; d--) {
            const int64_t c = rest % st->bdims[d];
            rest /= st->bdims[d];
            ia += c * st->astr[d], ib += c * st->bstr[d];
        }
        pml_igemm_b op = mmi_operand(st, ib);
        const uint8_t *za = st->za ? st->za + ia * st->za_mat + (size_t)r0 * st->za_row : NULL;
        const uint8_t *a = st->a + (ia * st->m + r0) * st->k;
        int32_t *y = st->y + (i * st->m + r0) * st->n;
        if (op.quads) /* packed so by pack only where the quad kernel exists */
            st->quad((size_t)rows, (size_t)st->n, (size_t)st->k, a, (size_t)st->k, za, st->za_row, op.quads, op.colsum,
                     y, (size_t)st->n);
        else
            st->gemm((size_t)rows, (size_t)st->n, (size_t)st->k, a, (size_t)st->k, za, st->za_row, op.cols, op.colsum,
                     y, (size_t)st->n);
        if (st->to_float) /* the rows just written, in place while in cache */
            pml_i32_dequant_cols((size_t)rows * (size_t)st->n, (size_t)st->n, y, st->a_scale[0], st->b_scale,
                               st->b_scale_col, st->bias);
    }
}

static pml_status mmi_run(pml_kernel_ctx *ctx) {
    mmi_state *st = (mmi_state *)ctx->state;
    if (st->m == 0 || st->n == 0 || st->batch == 0) return PML_OK;
    st->a = (const uint8_t *)ctx->in[0]->data, st->b = (const uint8_t *)ctx->in[1]->data;
    st->za = ctx->n_in > st->in_za && ctx->in[st->in_za] ? (const uint8_t *)ctx->in[st->in_za]->data : NULL;
    st->zb = ctx->n_in > st->in_zb && ctx->in[st->in_zb] ? (const uint8_t *)ctx->in[st->in_zb]->data : NULL;
    if (st->to_float) {
        st->a_scale = (const float *)ctx->in[2]->data, st->b_scale = (const float *)ctx->in[3]->data;
        st->bias = ctx->n_in > 6 && ctx->in[6] ? (const float *)ctx->in[6]->data : NULL;
    }
    st->y = (int32_t *)ctx->out[0]->data;
    st->scratch = (char *)ctx->scratch;
    const int64_t per_pack = st->k * st->n + 1, per_task = (int64_t)MMI_ROWS * st->n * (st->k + 1);
    if (!st->packed) pml_ew_parallel(ctx, st->b_mats, PML_EW_PARALLEL_MIN / per_pack + 1, mmi_pack_range, st);
    pml_ew_parallel(ctx, st->batch * st->row_blocks, PML_EW_PARALLEL_MIN / per_task + 1, mmi_rows, st);
    return PML_OK;
}

const pml_op_def pml_matmul_integer_def = {PML_OP_MATMULINTEGER, mmi_infer, mmi_prepare, mmi_run, pml_ew_release,
                                           mmi_pack, pml_igemm_unpack};
const pml_op_def pml_matmul_integer_to_float_def = {PML_OP_MATMULINTEGERTOFLOAT, mmi_infer, mmi_prepare, mmi_run,
                                                    pml_ew_release, mmi_pack, pml_igemm_unpack};
