/*
 * test_conv_deform.c — DeformConv (its own file: test_conv.c is near the size limit).
 *  1. a hand-computed case (zero offsets are a plain convolution; half-pixel offsets average);
 *  2. the op (sampling im2col + GEMM; scalar and best configuration, threads 1 and 2) against the
 *     scalar reference pml_f32_deform_conv_ref at awkward channel counts (1, 15, 16, 17, 33: GEMM
 *     panel tails), K past one K block, groups, offset groups inside and across groups, strides,
 *     dilations, pads, with and without mask and bias, offsets reaching outside the image;
 *  3. NaN and huge offsets sample zeros (no crash); float16 through the bridge;
 *  4. infer rejecting malformed nodes with a message.
 */
#include "testutil.h"

#include "kernels/conv/deform.h"

typedef struct deform_cfg {
    int64_t n, h, w, c, cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, og;
    int bias, mask;
} deform_cfg;

static int64_t out_len(int64_t size, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1) {
    return (size + p0 + p1 - d * (k - 1) - 1) / s + 1;
}

static void geom_of(const deform_cfg *c, pml_deform_geom *d) {
    memset(d, 0, sizeof *d);
    pml_conv_geom *g = &d->g;
    g->n = c->n, g->h = c->h, g->w = c->w, g->cin = c->c, g->cout = c->cout, g->kh = c->kh, g->kw = c->kw;
    g->sh = c->sh, g->sw = c->sw, g->dh = c->dh, g->dw = c->dw, g->pt = c->pt, g->pl = c->pl, g->pb = c->pb;
    g->pr = c->pr, g->group = c->group, g->cg = c->c / c->group, g->coutg = c->cout / c->group;
    g->oh = out_len(c->h, c->kh, c->sh, c->dh, c->pt, c->pb), g->ow = out_len(c->w, c->kw, c->sw, c->dw, c->pl, c->pr);
    d->offset_group = c->og, d->cpog = c->c / c->og;
}

/* Runs the node on ins (x, w, offset, b?, mask?); the output's data is NULL on failure. */
static pml_tensor run_deform(const deform_cfg *c, pml_tensor **ins, int scalar_only, int threads, pml_status *s) {
    const int64_t st[2] = {c->sh, c->sw}, dil[2] = {c->dh, c->dw}, pads[4] = {c->pt, c->pl, c->pb, c->pr};
    pml_attr attrs[5] = {attr_ints("strides", st, 2), attr_ints("dilations", dil, 2), attr_ints("pads", pads, 4),
                         attr_int("group", c->group), attr_int("offset_group", c->og)};
    pml_tensor out;
    memset(&out, 0, sizeof out);
    *s = pml_test_op(PML_OP_DEFORMCONV, attrs, 5, ins, 5, &out, 1, scalar_only, threads);
    if (*s != PML_OK) pml_aligned_free(out.data), out.data = NULL;
    return out;
}

/* The five inputs of c filled with random values (offsets within +-span pixels). */
static void make_inputs(const deform_cfg *c, float span, pml_tensor t[5]) {
    pml_deform_geom d;
    geom_of(c, &d);
    const int64_t taps = c->og * c->kh * c->kw;
    const int64_t dims[5][4] = {{c->n, c->h, c->w, c->c}, {c->cout, c->kh, c->kw, c->c / c->group},
                                {c->n, d.g.oh, d.g.ow, 2 * taps}, {c->cout}, {c->n, d.g.oh, d.g.ow, taps}};
    for (int i = 0; i < 5; i++) {
        t[i] = test_tensor(PML_FLOAT32, i == 3 ? 1 : 4, dims[i], i == 1 || i == 3);
        test_fill((float *)t[i].data, t[i].nbytes / 4, i == 4 ? 0.0f : -1.0f, 1.0f);
    }
    for (size_t e = 0; e < t[2].nbytes / 4; e++) ((float *)t[2].data)[e] *= span;
}

static void free_all(pml_tensor *t, int n) {
    for (int i = 0; i < n; i++) pml_aligned_free(t[i].data);
}

static void check_against_ref(const deform_cfg *c, float span, const char *what) {
    pml_tensor t[5];
    make_inputs(c, span, t);
    pml_tensor *ins[5] = {&t[0], &t[1], &t[2], c->bias ? &t[3] : NULL, c->mask ? &t[4] : NULL};
    pml_deform_geom d;
    geom_of(c, &d);
    const size_t ny = (size_t)(c->n * d.g.oh * d.g.ow * c->cout);
    float *want = malloc(ny * sizeof(float) + 4);
    pml_f32_deform_conv_ref(&d, t[0].data, t[1].data, t[2].data, c->bias ? t[3].data : NULL,
                            c->mask ? t[4].data : NULL, want);
    for (int mode = 0; mode < 4; mode++) { /* scalar / best configuration x threads 1 / 2 */
        pml_status s;
        pml_tensor y = run_deform(c, ins, mode & 1, 1 + (mode >> 1), &s);
        CHECK_OK(s);
        if (!y.data) continue;
        CHECK(y.rank == 4 && y.dims[1] == d.g.oh && y.dims[2] == d.g.ow && y.dims[3] == c->cout);
        CHECK(test_allclose(y.data, want, ny, 1e-4f, 1e-4f, what));
        pml_aligned_free(y.data);
    }
    free(want);
    free_all(t, 5);
}

static deform_cfg cfg(int64_t n, int64_t h, int64_t w, int64_t c, int64_t cout, int64_t k, int64_t group, int64_t og) {
    deform_cfg r = {n, h, w, c, cout, k, k, 1, 1, 1, 1, 0, 0, 0, 0, group, og, 1, 1};
    return r;
}

static void test_hand_computed(void) {
    deform_cfg c = cfg(1, 3, 3, 1, 1, 2, 1, 1);
    c.bias = c.mask = 0;
    pml_tensor t[5];
    make_inputs(&c, 0.0f, t);
    for (int i = 0; i < 9; i++) ((float *)t[0].data)[i] = (float)i;
    for (int i = 0; i < 4; i++) ((float *)t[1].data)[i] = 1.0f;
    pml_tensor *ins[5] = {&t[0], &t[1], &t[2], NULL, NULL};
    pml_status s;
    static const float plain[4] = {8, 12, 20, 24}, half[4] = {14, 18, 16.5f, 19.5f};
    pml_tensor y = run_deform(&c, ins, 0, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(test_allclose(y.data, plain, 4, 0, 1e-6f, "deform zero offsets"));
    pml_aligned_free(y.data);
    /* dy = 0.5 on every tap: rows blend with the next; the bottom row's samples at y = 2.5 see half of row 2 */
    for (int i = 0; i < 32; i++) ((float *)t[2].data)[i] = i % 2 ? 0.0f : 0.5f;
    y = run_deform(&c, ins, 0, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(test_allclose(y.data, half, 4, 0, 1e-6f, "deform half-pixel offsets"));
    pml_aligned_free(y.data);
    free_all(t, 5);
}

static void test_against_reference(void) {
    static const int64_t chans[] = {1, 15, 16, 17, 33};
    char what[96];
    for (int i = 0; i < 5; i++) {
        deform_cfg c = cfg(2, 5, 6, chans[i], chans[(i + 2) % 5], 3, 1, 1);
        c.pt = c.pl = c.pb = c.pr = 1;
        c.bias = i % 2, c.mask = i != 2;
        snprintf(what, sizeof what, "deform c%lld cout%lld", (long long)c.c, (long long)c.cout);
        check_against_ref(&c, 2.0f, what);
    }
    deform_cfg big = cfg(1, 7, 6, 32, 20, 3, 1, 2); /* K = 288: two K blocks split inside a tap */
    check_against_ref(&big, 1.5f, "deform K blocks");
    deform_cfg grp = cfg(3, 9, 7, 12, 6, 3, 3, 6); /* offset groups inside groups */
    grp.sh = 2, grp.dw = 2, grp.pt = 2, grp.pr = 1, grp.kw = 2;
    check_against_ref(&grp, 3.0f, "deform groups + offset groups");
    deform_cfg cross = cfg(1, 13, 11, 8, 4, 3, 4, 2); /* an offset group spans two groups */
    cross.sw = 3, cross.dh = 2, cross.pb = 2, cross.bias = 0;
    check_against_ref(&cross, 4.0f, "deform offset group across groups");
    deform_cfg one = cfg(1, 1, 1, 1, 1, 1, 1, 1); /* a 1x1 image */
    check_against_ref(&one, 1.0f, "deform 1x1");
    deform_cfg rows = cfg(2, 40, 31, 5, 7, 3, 1, 5); /* enough rows to split across threads */
    rows.pt = rows.pl = 1;
    check_against_ref(&rows, 2.5f, "deform many rows");
}

static void test_nonfinite_offsets_and_f16(void) {
    deform_cfg c = cfg(1, 4, 5, 3, 2, 3, 1, 1);
    pml_tensor t[5];
    make_inputs(&c, 1.0f, t);
    float *off = t[2].data;
    for (size_t e = 0; e < t[2].nbytes / 4; e++) off[e] = e % 3 == 0 ? NAN : e % 3 == 1 ? 3e38f : -INFINITY;
    pml_tensor *ins[5] = {&t[0], &t[1], &t[2], &t[3], &t[4]};
    pml_status s;
    pml_tensor y = run_deform(&c, ins, 0, 2, &s);
    CHECK_OK(s);
    if (y.data) { /* every sample is outside: y is the bias */
        for (int64_t e = 0; e < 2 * 2 * 3; e++) CHECK(((float *)y.data)[e] == ((float *)t[3].data)[e % 2]);
        pml_aligned_free(y.data);
    }
    free_all(t, 5);
    /* float16: inputs rounded to float16, computed in float32, one rounding of y */
    make_inputs(&c, 2.0f, t);
    pml_tensor h[5];
    pml_tensor *hins[5];
    for (int i = 0; i < 5; i++) {
        h[i] = test_tensor(PML_FLOAT16, t[i].rank, t[i].dims, t[i].is_const);
        for (size_t e = 0; e < t[i].nbytes / 4; e++) {
            ((uint16_t *)h[i].data)[e] = pml_f32_to_f16_scalar(((float *)t[i].data)[e]);
            ((float *)t[i].data)[e] = pml_f16_to_f32_scalar(((uint16_t *)h[i].data)[e]);
        }
        hins[i] = &h[i];
    }
    pml_deform_geom d;
    geom_of(&c, &d);
    float want[2 * 3 * 2], got[2 * 3 * 2];
    pml_f32_deform_conv_ref(&d, t[0].data, t[1].data, t[2].data, t[3].data, t[4].data, want);
    y = run_deform(&c, hins, 1, 1, &s);
    CHECK_OK(s);
    if (y.data) {
        CHECK(y.dtype == PML_FLOAT16);
        for (int e = 0; e < 12; e++) got[e] = pml_f16_to_f32_scalar(((uint16_t *)y.data)[e]);
        CHECK(test_allclose(got, want, 12, 2e-3f, 2e-3f, "deform float16"));
        pml_aligned_free(y.data);
    }
    free_all(h, 5);
    free_all(t, 5);
}

/* c's inputs with dims[k] of input i changed by delta (shapes only: infer rejects before any data is read). */
static void expect_error(deform_cfg c, int i, int k, int64_t delta, const char *needle) {
    pml_tensor t[5];
    make_inputs(&c, 1.0f, t);
    t[i].dims[k] += delta;
    pml_tensor *ins[5] = {&t[0], &t[1], &t[2], &t[3], &t[4]};
    pml_status s;
    pml_tensor y = run_deform(&c, ins, 0, 1, &s);
    CHECK(s != PML_OK && y.data == NULL);
    if (s != PML_OK && !strstr(pml_last_error(), needle))
        fprintf(stderr, "error lacks '%s': %s\n", needle, pml_last_error());
    CHECK(s != PML_OK && strstr(pml_last_error(), needle) != NULL);
    free_all(t, 5);
}

static void test_errors(void) {
    deform_cfg c = cfg(1, 5, 5, 4, 2, 3, 2, 2);
    expect_error(c, 2, 3, -2, "offset");   /* one tap's offsets missing */
    expect_error(c, 2, 1, 1, "offset");    /* OH does not match the window */
    expect_error(c, 4, 3, -1, "mask");
    expect_error(c, 3, 0, 1, "bias");
    expect_error(c, 1, 3, 1, "group");     /* w's last dim is not C/group */
    expect_error(c, 1, 1, 5, "larger than"); /* KH = 8 does not fit 5 + pads */
    deform_cfg og = c;
    og.og = 3; /* 4 channels do not split into 3 offset groups */
    expect_error(og, 0, 0, 0, "offset_group");
}

int main(void) {
    test_hand_computed();
    test_against_reference();
    test_nonfinite_offsets_and_f16();
    test_errors();
    return test_finish("test_conv_deform");
}
