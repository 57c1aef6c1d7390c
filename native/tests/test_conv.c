/*
 * test_conv.c — Conv and ConvTranspose.
 *  1. hand-computed small cases against the reference kernels;
 *  2. the reference kernels against an independent oracle written here
 *     (Conv: explicit zero-padded copy of x then an unchecked correlation;
 *     ConvTranspose: scatter form, each input pixel adds its patch);
 *  3. the best-ISA paths (GEMM direct / im2col, depthwise, transpose) against
 *     the reference at awkward sizes, every activation, threads 1 and 2,
 *     constant and run-time weights;
 *  4. infer rejecting malformed nodes with a message;
 *  5. CausalConvWithState (history from past_state or zeros, bias, SiLU, K = 1) against a
 *     naive loop at awkward lengths, threads 1 and 2, float16, and its shape errors.
 */
#include "testutil.h"

typedef struct conv_cfg {
    int64_t n, h, w, cin, cout, kh, kw;
    int64_t sh, sw, dh, dw, pt, pl, pb, pr, group, oph, opw;
    int act, bias, w_const, transpose;
} conv_cfg;

static const float k_act_alpha[8] = {0, 0, -0.5f, 0, 0, 0.1f, 0, 0.2f};
static const float k_act_beta[8] = {0, 0, 0.7f, 0, 0, 0, 0, 0.5f};

/* Runs the op; returns the output tensor (data owned by the caller) or data == NULL on failure. */
static pml_tensor run_conv(const conv_cfg *c, const float *x, const float *w, const float *b, int scalar_only,
                           int threads, pml_status *status) {
    const int64_t xd[4] = {c->n, c->h, c->w, c->cin};
    const int64_t wd[4] = {c->transpose ? c->cin : c->cout, c->kh, c->kw,
                           c->transpose ? c->cout / c->group : c->cin / c->group};
    const int64_t bd[1] = {c->cout};
    pml_tensor tx = test_tensor(PML_FLOAT32, 4, xd, 0), tw = test_tensor(PML_FLOAT32, 4, wd, c->w_const);
    pml_tensor tb = test_tensor(PML_FLOAT32, 1, bd, c->w_const);
    memcpy(tx.data, x, tx.nbytes);
    memcpy(tw.data, w, tw.nbytes);
    if (b) memcpy(tb.data, b, tb.nbytes);
    const int64_t strides[2] = {c->sh, c->sw}, dil[2] = {c->dh, c->dw}, pads[4] = {c->pt, c->pl, c->pb, c->pr};
    const int64_t opad[2] = {c->oph, c->opw};
    pml_attr attrs[8] = {attr_ints("strides", strides, 2), attr_ints("dilations", dil, 2), attr_ints("pads", pads, 4),
                         attr_int("group", c->group), attr_int("act", c->act),
                         attr_float("act_alpha", k_act_alpha[c->act]), attr_float("act_beta", k_act_beta[c->act]),
                         attr_ints("output_padding", opad, 2)};
    pml_tensor *in[3] = {&tx, &tw, b ? &tb : NULL};
    pml_tensor out;
    pml_status s = pml_test_op(c->transpose ? PML_OP_CONVTRANSPOSE : PML_OP_CONV, attrs, c->transpose ? 8 : 7, in, 3,
                               &out, 1, scalar_only, threads);
    if (status) *status = s;
    pml_aligned_free(tx.data), pml_aligned_free(tw.data), pml_aligned_free(tb.data);
    if (s != PML_OK) {
        pml_aligned_free(out.data);
        out.data = NULL;
    }
    return out;
}

static int64_t out_h(const conv_cfg *c) {
    return c->transpose ? (c->h - 1) * c->sh - c->pt - c->pb + c->dh * (c->kh - 1) + 1 + c->oph
                        : (c->h + c->pt + c->pb - c->dh * (c->kh - 1) - 1) / c->sh + 1;
}
static int64_t out_w(const conv_cfg *c) {
    return c->transpose ? (c->w - 1) * c->sw - c->pl - c->pr + c->dw * (c->kw - 1) + 1 + c->opw
                        : (c->w + c->pl + c->pr - c->dw * (c->kw - 1) - 1) / c->sw + 1;
}

static float oracle_act(int act, float v) {
    pml_activation a = {act, k_act_alpha[act], k_act_beta[act]};
    return pml_activation_scalar(&a, v);
}

/* Conv oracle: pad x explicitly, then correlate without bounds checks,
 * accumulating in double. */
static void oracle_conv(const conv_cfg *c, const float *x, const float *w, const float *b, float *y) {
    const int64_t hp = c->h + c->pt + c->pb, wp = c->w + c->pl + c->pr, oh = out_h(c), ow = out_w(c);
    const int64_t cg = c->cin / c->group, og = c->cout / c->group;
    float *xp = (float *)calloc((size_t)(c->n * hp * wp * c->cin), sizeof(float));
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t i = 0; i < c->h; i++)
            memcpy(xp + ((n * hp + i + c->pt) * wp + c->pl) * c->cin, x + (n * c->h + i) * c->w * c->cin,
                   (size_t)(c->w * c->cin) * sizeof(float));
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t g = 0; g < c->group; g++)
            for (int64_t o = 0; o < og; o++)
                for (int64_t i = 0; i < oh; i++)
                    for (int64_t j = 0; j < ow; j++) {
                        const int64_t co = g * og + o;
                        double acc = b ? b[co] : 0.0;
                        for (int64_t ci = 0; ci < cg; ci++)
                            for (int64_t u = 0; u < c->kh; u++)
                                for (int64_t v = 0; v < c->kw; v++)
                                    acc += (double)xp[((n * hp + i * c->sh + u * c->dh) * wp + j * c->sw + v * c->dw) *
                                                          c->cin + g * cg + ci] *
                                           (double)w[((co * c->kh + u) * c->kw + v) * cg + ci];
                        y[((n * oh + i) * ow + j) * c->cout + co] = oracle_act(c->act, (float)acc);
                    }
    free(xp);
}

/* ConvTranspose oracle: scatter every input pixel's patch onto an uncropped canvas, then crop. */
static void oracle_conv_transpose(const conv_cfg *c, const float *x, const float *w, const float *b, float *y) {
    const int64_t fh = (c->h - 1) * c->sh + c->dh * (c->kh - 1) + 1 + c->oph;
    const int64_t fw = (c->w - 1) * c->sw + c->dw * (c->kw - 1) + 1 + c->opw;
    const int64_t oh = out_h(c), ow = out_w(c), cg = c->cin / c->group, og = c->cout / c->group;
    double *canvas = (double *)calloc((size_t)(c->n * fh * fw * c->cout), sizeof(double));
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t i = 0; i < c->h; i++)
            for (int64_t j = 0; j < c->w; j++)
                for (int64_t ci = 0; ci < c->cin; ci++) {
                    const int64_t g = ci / cg;
                    const double xv = x[((n * c->h + i) * c->w + j) * c->cin + ci];
                    for (int64_t u = 0; u < c->kh; u++)
                        for (int64_t v = 0; v < c->kw; v++)
                            for (int64_t o = 0; o < og; o++)
                                canvas[((n * fh + i * c->sh + u * c->dh) * fw + j * c->sw + v * c->dw) * c->cout +
                                       g * og + o] += xv * w[((ci * c->kh + u) * c->kw + v) * og + o];
                }
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t i = 0; i < oh; i++)
            for (int64_t j = 0; j < ow; j++)
                for (int64_t co = 0; co < c->cout; co++) {
                    double v = canvas[((n * fh + i + c->pt) * fw + j + c->pl) * c->cout + co] + (b ? b[co] : 0.0);
                    y[((n * oh + i) * ow + j) * c->cout + co] = oracle_act(c->act, (float)v);
                }
    free(canvas);
}

static size_t x_numel(const conv_cfg *c) { return (size_t)(c->n * c->h * c->w * c->cin); }
static size_t w_numel(const conv_cfg *c) { return (size_t)(c->cout * c->kh * c->kw * (c->cin / c->group)); }
static size_t y_numel(const conv_cfg *c) { return (size_t)(c->n * out_h(c) * out_w(c) * c->cout); }

/* Compares reference (and, if check_oracle, the oracle) with the best ISA at threads 1 and 2. */
static void check_cfg(const conv_cfg *c, int check_oracle, const char *what) {
    float *x = (float *)malloc(x_numel(c) * sizeof(float)), *w = (float *)malloc(w_numel(c) * sizeof(float));
    float *b = (float *)malloc((size_t)c->cout * sizeof(float));
    test_fill(x, x_numel(c), -1.0f, 1.0f);
    test_fill(w, w_numel(c), -1.0f, 1.0f);
    test_fill(b, (size_t)c->cout, -1.0f, 1.0f);
    const float *bp = c->bias ? b : NULL;
    char name[256];
    snprintf(name, sizeof name,
             "%s %s n%lld %lldx%lldx%lld->%lld k%lldx%lld s%lld,%lld d%lld,%lld p%lld,%lld,%lld,%lld g%lld op%lld,%lld "
             "act%d bias%d const%d",
             what, c->transpose ? "ConvTranspose" : "Conv", (long long)c->n, (long long)c->h, (long long)c->w,
             (long long)c->cin, (long long)c->cout, (long long)c->kh, (long long)c->kw, (long long)c->sh,
             (long long)c->sw, (long long)c->dh, (long long)c->dw, (long long)c->pt, (long long)c->pl, (long long)c->pb,
             (long long)c->pr, (long long)c->group, (long long)c->oph, (long long)c->opw, c->act, c->bias, c->w_const);
    pml_status s;
    pml_tensor ref = run_conv(c, x, w, bp, 1, 1, &s);
    CHECK_OK(s);
    if (!ref.data) {
        fprintf(stderr, "  in %s\n", name);
        free(x), free(w), free(b);
        return;
    }
    CHECK(ref.rank == 4 && ref.dims[1] == out_h(c) && ref.dims[2] == out_w(c) && ref.dims[3] == c->cout);
    const int64_t k = c->transpose ? c->kh * c->kw * (c->cin / c->group) : c->kh * c->kw * (c->cin / c->group);
    const float tol = 2e-6f * (float)(k + 8);
    if (check_oracle) {
        float *o = (float *)malloc(y_numel(c) * sizeof(float));
        if (c->transpose) oracle_conv_transpose(c, x, w, bp, o);
        else oracle_conv(c, x, w, bp, o);
        int ok = test_allclose((const float *)ref.data, o, y_numel(c), 1e-4f, tol, name);
        CHECK(ok);
        free(o);
    }
    for (int threads = 1; threads <= 2; threads++) {
        pml_tensor fast = run_conv(c, x, w, bp, 0, threads, &s);
        CHECK_OK(s);
        if (fast.data) {
            int ok = test_allclose((const float *)fast.data, (const float *)ref.data, y_numel(c), 1e-4f, tol, name);
            CHECK(ok);
            if (!ok) fprintf(stderr, "  threads=%d\n", threads);
            pml_aligned_free(fast.data);
        }
    }
    pml_aligned_free(ref.data);
    free(x), free(w), free(b);
}

static conv_cfg cfg(int64_t n, int64_t h, int64_t w, int64_t cin, int64_t cout, int64_t k, int64_t s, int64_t p) {
    conv_cfg c;
    memset(&c, 0, sizeof c);
    c.n = n, c.h = h, c.w = w, c.cin = cin, c.cout = cout, c.kh = c.kw = k, c.sh = c.sw = s;
    c.dh = c.dw = 1, c.pt = c.pl = c.pb = c.pr = p, c.group = 1, c.bias = 1, c.w_const = 1;
    return c;
}

static void test_hand_computed(void) {
    /* x 1x3x3x1 = 1..9, w 1x2x2x1 = [1,2;3,4], bias 10, stride 1, no pad:
     * y = [1+4+12+20, 2+6+15+24; 4+10+21+32, 5+12+24+36] + 10 */
    conv_cfg c = cfg(1, 3, 3, 1, 1, 2, 1, 0);
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4}, b[1] = {10};
    const float want[4] = {47, 57, 77, 87};
    pml_status s;
    pml_tensor y = run_conv(&c, x, w, b, 1, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(test_allclose((const float *)y.data, want, 4, 0, 1e-5f, "conv 2x2 hand"));
    pml_aligned_free(y.data);

    /* same x, pads (top 1, left 0, bottom 0, right 1), stride 2, 2 output channels (w1 = -w0), relu */
    c = cfg(1, 3, 3, 1, 2, 2, 2, 0);
    c.pt = 1, c.pr = 1, c.act = PML_ACT_RELU;
    float w2[8] = {1, 2, 3, 4, -1, -2, -3, -4}, b2[2] = {0, 1};
    /* padded rows: [0,0,0,0],[1,2,3,0],[4,5,6,0],[7,8,9,0] (W padded right); windows at (0,0),(0,2),(2,0),(2,2) */
    /* ch0: (0,0): 0*1+0*2+1*3+2*4=11; (0,2): 0+0+3*3+0=9; (2,0): 4+10+21+32=67; (2,2): 6+0+27+0=33 */
    const float want2[8] = {11, 0, 9, 0, 67, 0, 33, 0};
    y = run_conv(&c, x, w2, b2, 1, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(test_allclose((const float *)y.data, want2, 8, 0, 1e-5f, "conv stride/pad hand"));
    pml_aligned_free(y.data);

    /* ConvTranspose: x 1x2x2x1 = [1,2;3,4], w 1x2x2x1 = [1,1;1,1], stride 2 -> each pixel a 2x2 block */
    c = cfg(1, 2, 2, 1, 1, 2, 2, 0);
    c.transpose = 1, c.bias = 0;
    float xt[4] = {1, 2, 3, 4}, wt[4] = {1, 1, 1, 1};
    const float want3[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    y = run_conv(&c, xt, wt, NULL, 1, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(y.dims[1] == 4 && y.dims[2] == 4 && test_allclose((const float *)y.data, want3, 16, 0, 1e-6f, "convT hand"));
    pml_aligned_free(y.data);
    /* stride 1: overlapping patches add: 3x3 output [1,3,2;4,10,6;3,7,4] */
    c.sh = c.sw = 1;
    const float want4[9] = {1, 3, 2, 4, 10, 6, 3, 7, 4};
    y = run_conv(&c, xt, wt, NULL, 1, 1, &s);
    CHECK_OK(s);
    if (y.data) CHECK(test_allclose((const float *)y.data, want4, 9, 0, 1e-6f, "convT overlap hand"));
    pml_aligned_free(y.data);
}

static void test_reference_vs_oracle(void) {
    for (int i = 0; i < 60; i++) {
        conv_cfg c = cfg(1 + i % 2, 3 + i % 7, 2 + i % 5, 0, 0, 1 + i % 4, 1 + i % 3, 0);
        c.kw = 1 + (i / 3) % 3;
        c.group = 1 + i % 3;
        c.cin = c.group * (1 + i % 4);
        c.cout = c.group * (1 + (i / 2) % 3);
        c.dh = 1 + (i / 5) % 2, c.dw = 1 + (i / 7) % 2;
        c.pt = i % 2, c.pl = (i / 2) % 3, c.pb = (i / 3) % 2, c.pr = i % 3;
        c.act = i % 8;
        c.bias = i % 3 != 0;
        c.transpose = i % 2;
        if (c.transpose) {
            c.oph = c.sh > 1 ? (i / 4) % 2 : 0;
            c.opw = c.sw > 1 ? (i / 6) % 2 : 0;
            if (out_h(&c) < 1 || out_w(&c) < 1) c.pt = c.pb = c.pl = c.pr = 0;
        } else if (out_h(&c) < 1 || out_w(&c) < 1) {
            c.h += c.dh * c.kh, c.w += c.dw * c.kw;
        }
        check_cfg(&c, 1, "oracle");
    }
}

static void test_gemm_paths(void) {
    /* 1x1 stride 1 (direct GEMM): M = H*W and Cout around the tiles */
    const int64_t sizes[] = {1, 5, 6, 7, 13, 127};
    const int64_t chans[] = {1, 3, 8, 15, 16, 17, 33};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t j = 0; j < sizeof chans / sizeof chans[0]; j++) {
            conv_cfg c = cfg(1, sizes[i], 1 + (int64_t)j % 3, chans[(j + i) % 7], chans[j], 1, 1, 0);
            c.act = (int)((i + j) % 8);
            check_cfg(&c, i < 2, "direct");
        }
    /* im2col: kernels 3/5/7, strides, asymmetric pads, dilations */
    const int64_t ks[] = {3, 5, 7};
    for (int i = 0; i < 24; i++) {
        conv_cfg c = cfg(1 + i % 2, 7 + i % 6, 9 + i % 5, chans[i % 7], chans[(i + 3) % 7], ks[i % 3], 1 + i % 2, 0);
        c.pt = i % 3, c.pl = (i + 1) % 4, c.pb = (i / 2) % 3, c.pr = (i / 3) % 2;
        c.dh = 1 + (i / 4) % 2, c.dw = 1 + (i / 8) % 2;
        c.act = i % 8;
        c.bias = i % 4 != 1;
        c.w_const = i % 5 != 2;
        if (out_h(&c) < 1 || out_w(&c) < 1) c.h += 8, c.w += 8;
        check_cfg(&c, i < 4, "im2col");
    }
    /* K > PML_GEMM_KC_MAX: several K blocks (3x3x33 = 297, 3x3x67 = 603, 1x1x600) and a 1x1 strided conv */
    conv_cfg c = cfg(1, 9, 11, 33, 40, 3, 1, 1);
    check_cfg(&c, 1, "kblocks");
    c = cfg(2, 6, 5, 67, 17, 3, 2, 1);
    c.act = PML_ACT_CLIP;
    check_cfg(&c, 0, "kblocks");
    c = cfg(1, 7, 7, 600, 35, 1, 1, 0);
    c.act = PML_ACT_HARDSWISH;
    check_cfg(&c, 0, "kblocks direct");
    c = cfg(1, 13, 13, 24, 48, 1, 2, 0);
    check_cfg(&c, 0, "1x1 stride 2");
    /* 7x7 stride 2 pad 3 from 3 channels (a ResNet stem) and a large M for threading */
    c = cfg(1, 32, 29, 3, 64, 7, 2, 3);
    c.act = PML_ACT_RELU;
    check_cfg(&c, 0, "stem");
    c = cfg(1, 40, 40, 16, 24, 3, 1, 1);
    check_cfg(&c, 0, "large M");
    /* grouped (non-depthwise) */
    c = cfg(1, 9, 8, 12, 18, 3, 1, 1);
    c.group = 3;
    check_cfg(&c, 1, "grouped");
    c = cfg(2, 5, 6, 64, 64, 3, 2, 1);
    c.group = 4, c.w_const = 0;
    check_cfg(&c, 0, "grouped");
}

static void test_depthwise(void) {
    const int64_t chans[] = {1, 3, 8, 17, 32, 33, 40, 71};
    for (int i = 0; i < 24; i++) {
        const int64_t ch = chans[i % 8];
        conv_cfg c = cfg(1 + i % 2, 5 + i % 9, 4 + i % 7, ch, ch, 1 + 2 * (i % 3), 1 + (i / 3) % 2, (i / 2) % 3);
        c.group = ch;
        c.pr = i % 2, c.pb = (i / 4) % 3;
        c.dh = c.dw = 1 + (i / 6) % 2;
        c.act = i % 8;
        c.bias = i % 5 != 0;
        c.w_const = i % 7 != 3;
        if (out_h(&c) < 1 || out_w(&c) < 1) c.h += 6, c.w += 6;
        check_cfg(&c, i < 6, "depthwise");
    }
    /* depthwise with a channel multiplier (runs as grouped GEMM) */
    conv_cfg c = cfg(1, 7, 6, 5, 10, 3, 1, 1);
    c.group = 5;
    check_cfg(&c, 1, "dw multiplier");
    c = cfg(1, 9, 9, 8, 24, 5, 2, 2);
    c.group = 8, c.act = PML_ACT_RELU;
    check_cfg(&c, 0, "dw multiplier");
}

static void test_transpose(void) {
    for (int i = 0; i < 16; i++) {
        conv_cfg c = cfg(1 + i % 2, 3 + i % 5, 4 + i % 4, 1 + i % 9, 1 + (i * 7) % 19, 1 + i % 4, 1 + i % 3, 0);
        c.transpose = 1;
        c.kw = 1 + (i / 2) % 3;
        c.group = i % 4 == 3 ? 1 : 1 + i % 2;
        c.cin = c.group * (1 + i % 5), c.cout = c.group * (1 + (i * 7) % 9);
        c.dh = 1 + (i / 3) % 2, c.dw = 1 + (i / 5) % 2;
        c.pt = i % 2, c.pl = (i / 2) % 2, c.pb = (i / 3) % 2, c.pr = (i / 4) % 2;
        c.oph = c.sh > 1 ? i % 2 : 0, c.opw = c.sw > 1 ? (i / 2) % 2 : 0;
        c.act = i % 8;
        c.bias = i % 3 != 1;
        c.w_const = i % 4 != 2;
        if (out_h(&c) < 1 || out_w(&c) < 1) c.pt = c.pb = c.pl = c.pr = 0;
        check_cfg(&c, i < 8, "transpose");
    }
    conv_cfg c = cfg(1, 16, 16, 32, 16, 4, 2, 1); /* a decoder upsampling layer */
    c.transpose = 1;
    check_cfg(&c, 0, "transpose");
}

/* infer must reject malformed nodes with an error naming the problem. */
static void expect_error(conv_cfg c, const pml_attr *extra, int n_extra, const int64_t *wdims, const int64_t *bdims,
                         const char *needle) {
    const int64_t xd[4] = {c.n, c.h, c.w, c.cin};
    pml_tensor tx = test_tensor(PML_FLOAT32, 4, xd, 0);
    pml_tensor tw = test_tensor(PML_FLOAT32, 4, wdims, 1);
    pml_tensor tb = test_tensor(PML_FLOAT32, 1, bdims ? bdims : xd, 1);
    const int64_t strides[2] = {c.sh, c.sw}, pads[4] = {c.pt, c.pl, c.pb, c.pr};
    pml_attr attrs[8] = {attr_ints("strides", strides, 2), attr_ints("pads", pads, 4), attr_int("group", c.group)};
    for (int i = 0; i < n_extra; i++) attrs[3 + i] = extra[i];
    pml_tensor *in[3] = {&tx, &tw, bdims ? &tb : NULL};
    pml_tensor out;
    pml_status s = pml_test_op(c.transpose ? PML_OP_CONVTRANSPOSE : PML_OP_CONV, attrs, 3 + n_extra, in, 3, &out, 1,
                               0, 1);
    CHECK(s != PML_OK);
    CHECK(strstr(pml_last_error(), needle) != NULL);
    if (s == PML_OK || !strstr(pml_last_error(), needle))
        fprintf(stderr, "  expected error containing '%s', got '%s'\n", needle, pml_last_error());
    pml_aligned_free(out.data);
    pml_aligned_free(tx.data), pml_aligned_free(tw.data), pml_aligned_free(tb.data);
}

static void test_errors(void) {
    conv_cfg c = cfg(1, 8, 8, 6, 4, 3, 1, 1);
    const int64_t w_ok[4] = {4, 3, 3, 6}, w_bad_cin[4] = {4, 3, 3, 5}, b_bad[1] = {5}, w_big[4] = {4, 11, 11, 6};
    expect_error(c, NULL, 0, w_bad_cin, NULL, "Cin/group");
    expect_error(c, NULL, 0, w_ok, b_bad, "bias shape");
    expect_error(c, NULL, 0, w_big, NULL, "larger than the padded input");
    conv_cfg g = c;
    g.group = 4;
    expect_error(g, NULL, 0, w_ok, NULL, "not divisible by group");
    g.group = 0;
    expect_error(g, NULL, 0, w_ok, NULL, "'group'");
    conv_cfg z = c;
    z.sh = 0;
    expect_error(z, NULL, 0, w_ok, NULL, "'strides'");
    z = c;
    z.pt = -1;
    expect_error(z, NULL, 0, w_ok, NULL, "'pads'");
    const int64_t three[3] = {1, 1, 1};
    pml_attr bad_dil = attr_ints("dilations", three, 3);
    expect_error(c, &bad_dil, 1, w_ok, NULL, "'dilations'");
    pml_attr bad_act = attr_int("act", 42);
    expect_error(c, &bad_act, 1, w_ok, NULL, "fused activation");
    pml_attr huge = attr_ints("dilations", (const int64_t[]){(int64_t)1 << 40, 1}, 2);
    expect_error(c, &huge, 1, w_ok, NULL, "out of range");
    conv_cfg t = c;
    t.transpose = 1;
    const int64_t wt_bad[4] = {5, 3, 3, 2}, wt_ok[4] = {6, 3, 3, 2};
    expect_error(t, NULL, 0, wt_bad, NULL, "weight dim 0");
    pml_attr opad = attr_ints("output_padding", (const int64_t[]){1, 0}, 2);
    expect_error(t, &opad, 1, wt_ok, NULL, "output_padding");
    t.pt = t.pb = 6;
    expect_error(t, NULL, 0, wt_ok, NULL, "output spatial size");

    /* rank and dtype */
    const int64_t xd3[3] = {8, 8, 6};
    pml_tensor tx = test_tensor(PML_FLOAT32, 3, xd3, 0), tw = test_tensor(PML_FLOAT32, 4, w_ok, 1);
    pml_tensor *in[2] = {&tx, &tw};
    pml_tensor out;
    CHECK(pml_test_op(PML_OP_CONV, NULL, 0, in, 2, &out, 1, 0, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "rank 4") != NULL);
    pml_aligned_free(out.data);
    tx.dtype = PML_INT32, tx.rank = 4, tx.dims[3] = 6;
    tx.dims[0] = 1, tx.dims[1] = 8, tx.dims[2] = 8;
    CHECK(pml_test_op(PML_OP_CONV, NULL, 0, in, 2, &out, 1, 0, 1) == PML_ERR_DTYPE);
    pml_aligned_free(out.data);
    pml_aligned_free(tx.data), pml_aligned_free(tw.data);
}

/* ---- CausalConvWithState ---------------------------------------------------------------------------- */

static void naive_causal(int64_t b, int64_t c, int64_t len, int64_t k, const float *x, const float *w,
                         const float *bias, const float *past, int silu, float *y, float *present) {
    const int64_t h = k - 1;
    for (int64_t r = 0; r < b * c; r++) {
        double *p = malloc((size_t)(len + h) * sizeof(double) + 8);
        for (int64_t i = 0; i < h; i++) p[i] = past ? past[r * h + i] : 0.0;
        for (int64_t t = 0; t < len; t++) p[h + t] = x[r * len + t];
        for (int64_t t = 0; t < len; t++) {
            double acc = bias ? bias[r % c] : 0.0;
            for (int64_t i = 0; i < k; i++) acc += w[(r % c) * k + i] * p[t + i];
            y[r * len + t] = (float)(silu ? acc / (1.0 + exp(-acc)) : acc);
        }
        for (int64_t i = 0; i < h; i++) present[r * h + i] = (float)p[len + i];
        free(p);
    }
}

static pml_tensor causal_rand(int rank, const int64_t *dims) {
    pml_tensor t = test_tensor(PML_FLOAT32, rank, dims, 0);
    test_fill((float *)t.data, t.nbytes / 4, -1, 1);
    return t;
}

static void run_causal(int64_t b, int64_t c, int64_t len, int64_t k, int with_bias, int with_past, int silu) {
    const int64_t xd[3] = {b, c, len}, wd[3] = {c, 1, k}, bd[1] = {c}, pd[3] = {b, c, k - 1};
    pml_tensor x = causal_rand(3, xd), w = causal_rand(3, wd), bias = causal_rand(1, bd), past = causal_rand(3, pd);
    pml_tensor *ins[4] = {&x, &w, with_bias ? &bias : NULL, with_past ? &past : NULL};
    const size_t ny = (size_t)(b * c * len), ns = (size_t)(b * c * (k - 1));
    float *wy = malloc(ny * 4 + 4), *ws = malloc(ns * 4 + 4);
    naive_causal(b, c, len, k, x.data, w.data, with_bias ? bias.data : NULL, with_past ? past.data : NULL, silu, wy,
                 ws);
    pml_attr at = attr_int("silu", silu);
    char what[128];
    snprintf(what, sizeof what, "causal conv b%lld c%lld len%lld k%lld bias%d past%d silu%d", (long long)b,
             (long long)c, (long long)len, (long long)k, with_bias, with_past, silu);
    for (int threads = 1; threads <= 2; threads++) {
        pml_tensor out[2];
        CHECK_OK(pml_test_op(PML_OP_CAUSALCONVWITHSTATE, &at, 1, ins, 4, out, 2, threads == 1, threads));
        CHECK(out[1].rank == 3 && out[1].dims[2] == k - 1);
        CHECK(test_allclose((float *)out[0].data, wy, ny, 1e-5f, 1e-5f, what));
        CHECK(ns == 0 || memcmp(out[1].data, ws, ns * 4) == 0); /* the state is copied, never rounded */
        pml_aligned_free(out[0].data), pml_aligned_free(out[1].data);
    }
    /* float16: the same values rounded to float16 in, one rounding of the float32 result out */
    pml_tensor h[4];
    pml_tensor *hins[4];
    for (int i = 0; i < 4; i++) {
        const pml_tensor *src = i == 0 ? &x : i == 1 ? &w : i == 2 ? &bias : &past;
        h[i] = test_tensor(PML_FLOAT16, src->rank, src->dims, 0);
        for (size_t e = 0; e < src->nbytes / 4; e++) {
            ((uint16_t *)h[i].data)[e] = pml_f32_to_f16_scalar(((float *)src->data)[e]);
            ((float *)src->data)[e] = pml_f16_to_f32_scalar(((uint16_t *)h[i].data)[e]);
        }
        hins[i] = ins[i] ? &h[i] : NULL;
    }
    naive_causal(b, c, len, k, x.data, w.data, with_bias ? bias.data : NULL, with_past ? past.data : NULL, silu, wy,
                 ws);
    pml_tensor ho[2];
    CHECK_OK(pml_test_op(PML_OP_CAUSALCONVWITHSTATE, &at, 1, hins, 4, ho, 2, 1, 1));
    float *got = malloc(ny * 4 + 4);
    for (size_t e = 0; e < ny; e++) got[e] = pml_f16_to_f32_scalar(((uint16_t *)ho[0].data)[e]);
    CHECK(test_allclose(got, wy, ny, 2e-3f, 2e-3f, what));
    pml_aligned_free(ho[0].data), pml_aligned_free(ho[1].data);
    for (int i = 0; i < 4; i++) pml_aligned_free(h[i].data);
    pml_aligned_free(x.data), pml_aligned_free(w.data), pml_aligned_free(bias.data), pml_aligned_free(past.data);
    free(wy), free(ws), free(got);
}

static void test_causal_conv(void) {
    static const int64_t lens[] = {1, 7, 8, 9, 13, 127};
    for (int i = 0; i < 6; i++)
        for (int64_t k = 1; k <= 5; k += 2) {
            run_causal(2, 3, lens[i], k, i % 2, 0, 0);
            run_causal(1, 5, lens[i], k + 1, 1, 1, 1);
        }
    run_causal(3, 301, 40, 4, 1, 1, 1); /* enough rows to split across threads */
}

static void test_causal_conv_errors(void) {
    const int64_t xd[3] = {1, 2, 5}, wd[3] = {3, 1, 4}, wd2[3] = {2, 1, 4}, pd[3] = {1, 2, 4};
    pml_tensor x = causal_rand(3, xd), w = causal_rand(3, wd), w2 = causal_rand(3, wd2), past = causal_rand(3, pd);
    pml_tensor out[2];
    pml_tensor *ins[4] = {&x, &w, NULL, NULL};
    CHECK(pml_test_op(PML_OP_CAUSALCONVWITHSTATE, NULL, 0, ins, 4, out, 2, 1, 1) == PML_ERR_SHAPE); /* C 3 vs 2 */
    CHECK(strstr(pml_last_error(), "[C, 1, K]") != NULL);
    ins[1] = &w2, ins[3] = &past; /* history 4 != K-1 = 3 */
    CHECK(pml_test_op(PML_OP_CAUSALCONVWITHSTATE, NULL, 0, ins, 4, out, 2, 1, 1) == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "past_state") != NULL);
    ins[3] = NULL;
    pml_attr bad = attr_int("silu", 2);
    CHECK(pml_test_op(PML_OP_CAUSALCONVWITHSTATE, &bad, 1, ins, 4, out, 2, 1, 1) == PML_ERR_INVALID_MODEL);
    pml_aligned_free(x.data), pml_aligned_free(w.data), pml_aligned_free(w2.data), pml_aligned_free(past.data);
}

int main(void) {
    test_causal_conv();
    test_causal_conv_errors();
    test_hand_computed();
    test_reference_vs_oracle();
    test_gemm_paths();
    test_depthwise();
    test_transpose();
    test_errors();
    return test_finish("test_conv");
}
