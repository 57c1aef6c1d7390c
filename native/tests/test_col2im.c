/*
 * test_col2im.c — Col2Im against a naive scatter written here (each column entry adds
 * itself at its image position) at awkward sizes (1-D to 3-D, strides, dilations, pads,
 * blocks larger than 1 on every axis), float32 and float16 (the float32 sum rounded once)
 * and int8 (wrapping), the best ISA and 2 threads against the reference, and the error paths.
 */
#include "ew_testutil.h"

typedef struct c2i_case {
    int k;
    int64_t image[3], block[3], stride[3], dilation[3], pads[6];
} c2i_case;

static const c2i_case g_cases[] = {
    {1, {1}, {1}, {1}, {1}, {0, 0}},
    {1, {13}, {3}, {2}, {1}, {1, 2}},
    {2, {5, 5}, {1, 5}, {1, 1}, {1, 1}, {0, 1, 0, 1}},
    {2, {7, 6}, {3, 2}, {2, 1}, {2, 1}, {1, 0, 2, 1}},
    {2, {8, 9}, {2, 3}, {3, 2}, {1, 3}, {0, 0, 0, 0}},
    {3, {3, 4, 5}, {2, 1, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 0, 0, 1, 1}},
};

/* y[n, c, pos] += x[n, c * K + b, l] for every block offset b and column l landing inside. */
static void naive_col2im(const c2i_case *cs, const int64_t *blocks, int64_t N, int64_t C, const float *x, double *y) {
    int64_t K = 1, L = 1, P = 1;
    for (int i = 0; i < cs->k; i++) K *= cs->block[i], L *= blocks[i], P *= cs->image[i];
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t b = 0; b < K; b++)
                for (int64_t l = 0; l < L; l++) {
                    int64_t rb = b, rl = l, at = 0, inside = 1, scale = 1;
                    for (int i = cs->k - 1; i >= 0; i--) {
                        int64_t bi = rb % cs->block[i], li = rl % blocks[i];
                        rb /= cs->block[i], rl /= blocks[i];
                        int64_t pos = li * cs->stride[i] - cs->pads[i] + bi * cs->dilation[i];
                        inside &= pos >= 0 && pos < cs->image[i];
                        at += pos * scale, scale *= cs->image[i];
                    }
                    if (inside) y[(n * C + c) * P + at] += x[((n * C + c) * K + b) * L + l];
                }
}

static void test_cases(void) {
    for (size_t ci = 0; ci < sizeof g_cases / sizeof g_cases[0]; ci++)
        for (int dt = 0; dt < 3; dt++) {
            const c2i_case *cs = &g_cases[ci];
            int k = cs->k;
            int64_t blocks[3], K = 1, L = 1, P = 1, N = 2, C = 3;
            for (int i = 0; i < k; i++) {
                blocks[i] = (cs->image[i] + cs->pads[i] + cs->pads[i + k] - cs->dilation[i] * (cs->block[i] - 1) - 1) /
                                cs->stride[i] + 1;
                K *= cs->block[i], L *= blocks[i], P *= cs->image[i];
            }
            int64_t xd[3] = {N, C * K, L}, kd[1] = {k}, yd[5] = {N, C, cs->image[0], cs->image[1], cs->image[2]};
            pml_tensor xf = tt_rand(3, xd, -2, 2);
            pml_dtype dtype = dt == 0 ? PML_FLOAT32 : dt == 1 ? PML_FLOAT16 : PML_INT8;
            pml_tensor x = dt == 0 ? xf : tt_make(dtype, 3, xd, NULL), y;
            for (int64_t i = 0; dt && i < numel(3, xd); i++) { /* the float32 copy holds the stored values */
                float v = ((float *)xf.data)[i];
                if (dt == 1) ((uint16_t *)x.data)[i] = pml_f32_to_f16_scalar(v), v = pml_f16_to_f32_scalar(((uint16_t *)x.data)[i]);
                else ((int8_t *)x.data)[i] = (int8_t)(v * 60.0f), v = (float)((int8_t *)x.data)[i];
                ((float *)xf.data)[i] = v;
            }
            pml_tensor img = t_i64(1, kd, cs->image, 1), blk = t_i64(1, kd, cs->block, 1);
            pml_tensor *in[3] = {&x, &img, &blk};
            pml_attr at[3] = {attr_ints("strides", cs->stride, k), attr_ints("dilations", cs->dilation, k),
                              attr_ints("pads", cs->pads, 2 * k)};
            char what[64];
            snprintf(what, sizeof what, "col2im case %zu dtype %d", ci, dt);
            tt_check_isa(what, PML_OP_COL2IM, at, 3, in, 3, dt ? -1.0f : 1e-6f, 1e-6f, &y);
            CHECK(tt_shape_is(&y, k + 2, yd));
            double *want = calloc((size_t)(N * C * P), sizeof *want);
            naive_col2im(cs, blocks, N, C, (const float *)xf.data, want);
            int ok = y.data != NULL;
            for (int64_t i = 0; ok && i < N * C * P; i++) {
                double got = dt == 0 ? ((float *)y.data)[i] : dt == 1 ? pml_f16_to_f32_scalar(((uint16_t *)y.data)[i])
                                                                      : ((int8_t *)y.data)[i];
                double w = dt == 1 ? pml_f16_to_f32_scalar(pml_f32_to_f16_scalar((float)want[i]))
                                   : dt == 2 ? (double)(int8_t)(int64_t)want[i] : want[i];
                ok = fabs(got - w) <= 1e-5 * (1.0 + fabs(w));
                if (!ok) fprintf(stderr, "%s: y[%lld] = %g, naive %g\n", what, (long long)i, got, w);
            }
            CHECK(ok);
            free(want);
            tt_free(&y), tt_free(&img), tt_free(&blk), tt_free(&xf);
            if (dt) tt_free(&x);
        }
}

static void test_errors(void) {
    int64_t xd[3] = {1, 5, 5}, two[1] = {2}, three[1] = {3}, img[2] = {5, 5}, blk[2] = {1, 5}, big[2] = {6, 5},
            img3[3] = {5, 5, 1}, odd[2] = {2, 2};
    pml_tensor x = tt_rand(3, xd, -1, 1), i2 = t_i64(1, two, img, 1), b2 = t_i64(1, two, blk, 1), bb = t_i64(1, two, big, 1),
               i3 = t_i64(1, three, img3, 1), bo = t_i64(1, two, odd, 1), unknown = t_i64(1, two, img, 0);
    pml_tensor *ok_in[3] = {&x, &i2, &b2}, *too_big[3] = {&x, &i2, &bb}, *mixed[3] = {&x, &i3, &b2},
               *bad_c[3] = {&x, &i2, &bo}, *late[3] = {&x, &unknown, &b2};
    int64_t zero_stride[2] = {0, 1}, short_pads[2] = {0, 0};
    pml_attr zs = attr_ints("strides", zero_stride, 2), sp = attr_ints("pads", short_pads, 2);
    tt_expect_error("col2im stride 0", PML_ERR_INVALID_MODEL, PML_OP_COL2IM, &zs, 1, ok_in, 3, 1);
    tt_expect_error("col2im pads of 2", PML_ERR_INVALID_MODEL, PML_OP_COL2IM, &sp, 1, ok_in, 3, 1);
    tt_expect_error("col2im block too big", PML_ERR_SHAPE, PML_OP_COL2IM, NULL, 0, too_big, 3, 1);
    tt_expect_error("col2im lengths differ", PML_ERR_SHAPE, PML_OP_COL2IM, NULL, 0, mixed, 3, 1);
    tt_expect_error("col2im channels", PML_ERR_SHAPE, PML_OP_COL2IM, NULL, 0, bad_c, 3, 1);
    pml_tensor out[1];
    CHECK(pml_test_op(PML_OP_COL2IM, NULL, 0, late, 3, out, 1, 1, 1) != PML_OK);
    tt_free(&x), tt_free(&i2), tt_free(&b2), tt_free(&bb), tt_free(&i3), tt_free(&bo), tt_free(&unknown);
}

int main(void) {
    test_cases();
    test_errors();
    return test_finish("test_col2im");
}
