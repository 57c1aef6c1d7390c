/*
 * test_quant.c — the quant family's ops (DequantizeLinear, QuantizeLinear,
 * DynamicQuantizeLinear) against naive loops, bit for bit: every integer dtype, float32
 * and float16 scales, per tensor, per axis (middle and last) and blocked scales with a
 * short last block, at awkward sizes (1, 7, 13, 127 and past the per-tensor row chunk),
 * reference kernels against the best configuration on two threads; and the shape and
 * attribute errors a hostile file reaches infer with.
 */
#include <math.h>

#include "typed_testutil.h"

static const pml_dtype q_ints[] = {PML_INT8, PML_UINT8, PML_INT16, PML_UINT16, PML_INT32};
#define N_Q_INTS 5

/* A layout of x [outer, len, inner]: the scale's rank, dims and the attributes. */
typedef struct q_case {
    const char *name;
    int64_t outer, len, inner, block; /* block 0: per tensor (axis < 0) or per axis */
    int axis;                          /* -1: per tensor, else 1 (inner 1: the last axis) */
} q_case;

static const q_case q_cases[] = {
    {"tensor 1", 1, 1, 1, 0, -1},      {"tensor 13", 1, 13, 1, 0, -1},    {"tensor 9001", 1, 9001, 1, 0, -1},
    {"axis mid", 2, 7, 13, 0, 1},      {"axis last", 3, 127, 1, 0, 1},    {"axis first", 1, 5, 9, 0, 1},
    {"block mid", 2, 13, 7, 4, 1},     {"block last", 3, 13, 1, 5, 1},    {"block > len", 2, 3, 5, 8, 1},
};
#define N_Q_CASES ((int)(sizeof q_cases / sizeof q_cases[0]))

/* The scale shape of a case: [] per tensor, [len] per axis, [outer, blocks, inner] blocked. */
static int q_scale_dims(const q_case *c, int64_t *d) {
    if (c->axis < 0) return 0;
    if (c->block == 0) {
        d[0] = c->len;
        return 1;
    }
    d[0] = c->outer, d[1] = (c->len + c->block - 1) / c->block, d[2] = c->inner;
    return 3;
}

/* Index of element (o, k, i)'s scale in the case's scale tensor. */
static int64_t q_scale_index(const q_case *c, int64_t o, int64_t k, int64_t i) {
    if (c->axis < 0) return 0;
    if (c->block == 0) return k;
    const int64_t blocks = (c->len + c->block - 1) / c->block;
    return (o * blocks + k / c->block) * c->inner + i;
}

static pml_tensor q_scales(pml_dtype dt, int rank, const int64_t *d, unsigned seed) {
    pml_tensor s = tt_make(dt, rank, d, NULL);
    uint32_t r = seed * 2654435761u + 7u;
    for (int64_t i = 0; i < pml_shape_numel(rank, d); i++) {
        r = r * 1664525u + 1013904223u;
        tt_set(&s, i, 0.01 + (double)(r >> 8) / (double)(1u << 24) * 0.3);
    }
    return s;
}

static void q_attrs(const q_case *c, pml_attr *at, int *n) {
    *n = 0;
    if (c->axis >= 0) at[(*n)++] = attr_int("axis", c->axis);
    if (c->block > 0) at[(*n)++] = attr_int("block_size", c->block);
}

/* ---- DequantizeLinear ------------------------------------------------------------------------- */

static void test_dequantize(void) {
    for (int qi = 0; qi < N_Q_INTS; qi++)
        for (int ci = 0; ci < N_Q_CASES; ci++)
            for (int half = 0; half < 2; half++)
                for (int with_zp = 0; with_zp < 2; with_zp++) {
                    const q_case *c = &q_cases[ci];
                    const pml_dtype qt = q_ints[qi], st = half ? PML_FLOAT16 : PML_FLOAT32;
                    const int64_t xd[3] = {c->outer, c->len, c->inner};
                    int64_t sd[3];
                    const int srank = q_scale_dims(c, sd);
                    pml_tensor x = tt_typed_rand(qt, 3, xd, (unsigned)(qi * 31 + ci));
                    for (int64_t i = 0; i < pml_shape_numel(3, xd); i += 5) /* the dtype's ends too */
                        tt_set(&x, i, i % 2 ? (qt == PML_INT32 ? 2147483647.0 : 255.0) : 0.0);
                    pml_tensor s = q_scales(st, srank, sd, (unsigned)ci), z = tt_typed_rand(qt, srank, sd, 3), y = {0};
                    pml_tensor *in[3] = {&x, &s, with_zp ? &z : NULL};
                    pml_attr at[2];
                    int n_at;
                    q_attrs(c, at, &n_at);
                    char what[96];
                    snprintf(what, sizeof what, "dequantize %s %s f16=%d zp=%d", pml_dtype_name(qt), c->name, half,
                             with_zp);
                    tt_check_isa(what, PML_OP_DEQUANTIZELINEAR, at, n_at, in, 3, -1, 0, &y);
                    int bad = !y.data || y.dtype != st;
                    for (int64_t o = 0; o < c->outer && !bad; o++)
                        for (int64_t k = 0; k < c->len; k++)
                            for (int64_t i = 0; i < c->inner; i++) {
                                const int64_t e = (o * c->len + k) * c->inner + i, si = q_scale_index(c, o, k, i);
                                const int64_t zp = with_zp ? (int64_t)tt_get(&z, si) : 0;
                                const float want = (float)((int64_t)tt_get(&x, e) - zp) * (float)tt_get(&s, si);
                                const double w = half ? pml_f16_to_f32_scalar(pml_f32_to_f16_scalar(want)) : want;
                                if (tt_get(&y, e) != w) bad = 1;
                            }
                    if (bad) fprintf(stderr, "%s: differs from the naive loop\n", what);
                    CHECK(!bad);
                    tt_free(&x), tt_free(&s), tt_free(&z), tt_free(&y);
                }
}

/* ---- QuantizeLinear --------------------------------------------------------------------------- */

static const float q_specials[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, -128.5f, 255.5f,
                                   32767.5f, 65535.5f, 1e10f, -1e10f, NAN, INFINITY, -INFINITY, -0.0f};
#define N_Q_SPECIALS ((int64_t)(sizeof q_specials / sizeof q_specials[0]))

/* What onnxruntime's CPU kernel gives: round half to even in float32, the zero point, the
 * range's ends; NaN -> the minimum. int32 x divides in double (ONNX's reference). */
static double q_naive(double x, float s, double zp, double lo, double hi, int wide) {
    const double v = wide ? nearbyint(x / s) + zp : (double)(nearbyintf((float)x / s) + (float)zp);
    return v != v ? lo : v < lo ? lo : v > hi ? hi : v;
}

static void test_quantize(void) {
    static const pml_dtype outs[] = {PML_INT8, PML_UINT8, PML_INT16, PML_UINT16};
    static const pml_dtype xs[] = {PML_FLOAT32, PML_FLOAT16, PML_INT32};
    static const double lo[] = {-128, 0, -32768, 0}, hi[] = {127, 255, 32767, 65535};
    for (int qi = 0; qi < 4; qi++)
        for (int ci = 0; ci < N_Q_CASES; ci++)
            for (int xi = 0; xi < 3; xi++)
                for (int with_zp = 0; with_zp < 2; with_zp++) {
                    const q_case *c = &q_cases[ci];
                    const pml_dtype qt = outs[qi], xt = xs[xi], ft = xt == PML_FLOAT16 ? PML_FLOAT16 : PML_FLOAT32;
                    const int64_t xd[3] = {c->outer, c->len, c->inner}, n = pml_shape_numel(3, xd);
                    int64_t sd[3];
                    const int srank = q_scale_dims(c, sd);
                    pml_tensor x = tt_make(xt, 3, xd, NULL);
                    for (int64_t i = 0; i < n; i++)
                        tt_set(&x, i, xt == PML_INT32 ? (double)((i * 7919 % 40001) - 20000) * (i % 3 ? 1 : 8191)
                                      : i < N_Q_SPECIALS ? q_specials[i]
                                                         : ((double)(i * 7919 % 2001) - 1000) * 0.37);
                    pml_tensor s = q_scales(ft, srank, sd, (unsigned)ci), z = tt_typed_rand(qt, srank, sd, 5), y = {0};
                    pml_tensor *in[3] = {&x, &s, with_zp ? &z : NULL};
                    pml_attr at[3];
                    int n_at;
                    q_attrs(c, at, &n_at);
                    if (!with_zp) at[n_at++] = attr_int("output_dtype", qt);
                    char what[96];
                    snprintf(what, sizeof what, "quantize %s %s x %s zp=%d", pml_dtype_name(qt), c->name,
                             pml_dtype_name(xt), with_zp);
                    tt_check_isa(what, PML_OP_QUANTIZELINEAR, at, n_at, in, 3, -1, 0, &y);
                    int bad = !y.data || y.dtype != qt;
                    for (int64_t o = 0; o < c->outer && !bad; o++)
                        for (int64_t k = 0; k < c->len; k++)
                            for (int64_t i = 0; i < c->inner; i++) {
                                const int64_t e = (o * c->len + k) * c->inner + i, si = q_scale_index(c, o, k, i);
                                const double zp = with_zp ? tt_get(&z, si) : 0;
                                if (tt_get(&y, e) != q_naive(tt_get(&x, e), (float)tt_get(&s, si), zp, lo[qi], hi[qi],
                                                             xt == PML_INT32))
                                    bad = 1;
                            }
                    if (bad) fprintf(stderr, "%s: differs from the naive loop\n", what);
                    CHECK(!bad);
                    tt_free(&x), tt_free(&s), tt_free(&z), tt_free(&y);
                }
}

/* ---- DynamicQuantizeLinear ------------------------------------------------------------------- */

static void test_dynamic_quantize(void) {
    static const int64_t sizes[] = {1, 7, 13, 127, 9001};
    for (int si = 0; si < 5; si++)
        for (int sign = -1; sign <= 1; sign++) { /* all negative, mixed, all positive */
            const int64_t n = sizes[si];
            pml_tensor x = tt_make(PML_FLOAT32, 1, &n, NULL);
            float *xv = (float *)x.data, lo = 0.0f, hi = 0.0f;
            for (int64_t i = 0; i < n; i++) {
                const float v = (float)((i * 7919 % 2001) - 1000) * 0.0137f;
                xv[i] = sign < 0 ? -fabsf(v) - 0.5f : sign > 0 ? fabsf(v) + 0.5f : v;
                lo = xv[i] < lo ? xv[i] : lo;
                hi = xv[i] > hi ? xv[i] : hi;
            }
            pml_tensor *in[1] = {&x}, out[3];
            char what[64];
            snprintf(what, sizeof what, "dynamic quantize n=%lld sign=%d", (long long)n, sign);
            for (int threads = 1; threads <= 2; threads++) {
                CHECK_OK(pml_test_op(PML_OP_DYNAMICQUANTIZELINEAR, NULL, 0, in, 1, out, 3, 1, threads));
                const float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
                const float z = nearbyintf(fminf(fmaxf(0.0f - lo / scale, 0.0f), 255.0f));
                int bad = *(float *)out[1].data != scale || *(uint8_t *)out[2].data != (uint8_t)z;
                for (int64_t i = 0; i < n && !bad; i++)
                    bad = ((uint8_t *)out[0].data)[i] != (uint8_t)q_naive(xv[i], scale, z, 0, 255, 0);
                if (bad) fprintf(stderr, "%s threads=%d: differs from the ONNX formula\n", what, threads);
                CHECK(!bad);
                for (int k = 0; k < 3; k++) tt_free(&out[k]);
            }
            tt_free(&x);
        }
}

/* ---- errors a hostile file reaches infer with --------------------------------------------------- */

static void test_errors(void) {
    const int64_t xd[3] = {2, 5, 7}, bad_vec[1] = {4}, bad_block[3] = {2, 3, 7}, good_block[3] = {2, 2, 7},
                  one[1] = {1};
    pml_tensor x = tt_make(PML_INT8, 3, xd, NULL), sv = tt_make(PML_FLOAT32, 1, bad_vec, NULL),
               sb = tt_make(PML_FLOAT32, 3, bad_block, NULL), sg = tt_make(PML_FLOAT32, 3, good_block, NULL),
               z1 = tt_make(PML_INT8, 1, one, NULL), s1 = tt_make(PML_FLOAT32, 1, one, NULL);
    pml_attr axis1 = attr_int("axis", 1), block3[2] = {attr_int("axis", 1), attr_int("block_size", 3)},
             neg[2] = {attr_int("axis", 1), attr_int("block_size", -1)}, axis3 = attr_int("axis", 3),
             out_i8 = attr_int("output_dtype", PML_INT8);
    pml_tensor *vec[2] = {&x, &sv}, *blk[2] = {&x, &sb}, *good[3] = {&x, &sg, &z1}, *gs[2] = {&x, &sg}, *per_tensor[2] = {&x, &s1};
    tt_expect_error("dq vector of the wrong length", PML_ERR_SHAPE, PML_OP_DEQUANTIZELINEAR, &axis1, 1, vec, 2, 1);
    tt_expect_error("dq blocked scale of the wrong block count", PML_ERR_SHAPE, PML_OP_DEQUANTIZELINEAR, block3, 2,
                    blk, 2, 1);
    tt_expect_error("dq zero point shape differs", PML_ERR_SHAPE, PML_OP_DEQUANTIZELINEAR, block3, 2, good, 3, 1);
    tt_expect_error("dq negative block_size", PML_ERR_INVALID_MODEL, PML_OP_DEQUANTIZELINEAR, neg, 2, gs, 2, 1);
    tt_expect_error("dq axis out of range", PML_ERR_INVALID_MODEL, PML_OP_DEQUANTIZELINEAR, &axis3, 1, vec, 2, 1);
    tt_expect_error("dq integer output_dtype", PML_ERR_INVALID_MODEL, PML_OP_DEQUANTIZELINEAR, &out_i8, 1,
                    per_tensor, 2, 1);
    pml_tensor xf = tt_make(PML_FLOAT32, 3, xd, NULL);
    pml_tensor *q_vec[2] = {&xf, &sv}, *q_tensor[3] = {&xf, &s1, &z1};
    pml_attr out_u8 = attr_int("output_dtype", PML_UINT8), out_f32 = attr_int("output_dtype", PML_FLOAT32);
    tt_expect_error("q vector of the wrong length", PML_ERR_SHAPE, PML_OP_QUANTIZELINEAR, &axis1, 1, q_vec, 2, 1);
    tt_expect_error("q output_dtype differs from the zero point", PML_ERR_INVALID_MODEL, PML_OP_QUANTIZELINEAR,
                    &out_u8, 1, q_tensor, 3, 1);
    tt_expect_error("q float output_dtype", PML_ERR_INVALID_MODEL, PML_OP_QUANTIZELINEAR, &out_f32, 1, q_tensor, 2,
                    1);
    tt_free(&x), tt_free(&sv), tt_free(&sb), tt_free(&sg), tt_free(&z1), tt_free(&s1), tt_free(&xf);
}

/* DynamicQuantizeLinear's min/max of every configuration against the scalar one: NaNs anywhere
 * (skipped), all NaN (NaN), infinities, lengths around the vector width. */
static void test_minmax_variants(void) {
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *best = NULL;
    CHECK_OK(pml_kernel_config_select(&cpu, NULL, &best));
    const pml_minmax_fn ref = pml_kernel_config_scalar()->typed.quant[PML_FLOAT32]->minmax,
                        fn = best->typed.quant[PML_FLOAT32]->minmax;
    float x[67];
    for (int n = 1; n <= 67; n++)
        for (int form = 0; form < 5; form++) {
            for (int i = 0; i < n; i++) {
                x[i] = (float)((i * 7919 + n * 31) % 2001 - 1000) * 0.0137f;
                if (form == 1 && i % 5 == n % 5) x[i] = NAN;       /* NaNs here and there, at the start too */
                if (form == 2) x[i] = NAN;                         /* every value NaN */
                if (form == 3 && i % 7 == 3) x[i] = i % 2 ? INFINITY : -INFINITY;
                if (form == 4) x[i] = i == n - 1 ? -3.0f : NAN;    /* one number, in the tail */
            }
            float l0, h0, l1, h1;
            ref((size_t)n, x, &l0, &h0);
            fn((size_t)n, x, &l1, &h1);
            const int ok = (isnan(l0) ? isnan(l1) : l0 == l1) && (isnan(h0) ? isnan(h1) : h0 == h1);
            if (!ok) fprintf(stderr, "minmax n=%d form %d: %g %g, scalar %g %g\n", n, form, l1, h1, l0, h0);
            CHECK(ok);
        }
}

int main(void) {
    test_dequantize();
    test_quantize();
    test_dynamic_quantize();
    test_minmax_variants();
    test_errors();
    return test_finish("test_quant");
}
