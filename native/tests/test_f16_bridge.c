/*
 * test_f16_bridge.c — float16 nodes of the ops that compute in float32 (ops/f16_bridge.c):
 * MatMul, Gemm, Conv (GEMM, implicit-GEMM and depthwise paths), ConvTranspose, Softmax and
 * LogSoftmax.
 *  - a float16 node equals the float32 node on the widened values, rounded once: bit for
 *    bit, with the scalar and the best configuration, threads 1 and 2, constant (packed at
 *    pack) and run-time weights, fused activation and Conv's residual included;
 *  - errors: a mixed float16/float32 node fails the schema check, a bad shape fails the
 *    op's own infer through the bridge, each with a message naming the node and op.
 */
#include "testutil.h"

#define MAX_IN 5

typedef struct bridge_case {
    const char *what;
    int op;
    int n_in;
    int rank[MAX_IN];         /* 0: absent input */
    int64_t dims[MAX_IN][4];
    int is_const[MAX_IN];
    pml_attr attrs[6];
    int n_attrs;
} bridge_case;

/* Runs c with every present input of dtype `dtype` holding vals[i] (float32 values that are
 * exact float16 numbers). Returns the status; *out holds the output. */
static pml_status run(const bridge_case *c, pml_dtype dtype, float *const *vals, int scalar, int threads,
                      pml_tensor *out) {
    pml_tensor t[MAX_IN], *in[MAX_IN];
    for (int i = 0; i < c->n_in; i++) {
        in[i] = NULL;
        if (!c->rank[i]) continue;
        t[i] = test_tensor(dtype, c->rank[i], c->dims[i], c->is_const[i]);
        const size_t n = (size_t)pml_shape_numel(c->rank[i], c->dims[i]);
        for (size_t j = 0; j < n; j++) {
            if (dtype == PML_FLOAT16) ((uint16_t *)t[i].data)[j] = pml_f32_to_f16_scalar(vals[i][j]);
            else ((float *)t[i].data)[j] = vals[i][j];
        }
        in[i] = &t[i];
    }
    pml_status s = pml_test_op(c->op, c->attrs, c->n_attrs, in, c->n_in, out, 1, scalar, threads);
    for (int i = 0; i < c->n_in; i++)
        if (in[i]) pml_aligned_free(t[i].data);
    return s;
}

static void check_case(const bridge_case *c) {
    float *vals[MAX_IN] = {0};
    for (int i = 0; i < c->n_in; i++) {
        if (!c->rank[i]) continue;
        const size_t n = (size_t)pml_shape_numel(c->rank[i], c->dims[i]);
        vals[i] = (float *)malloc(n * sizeof(float) + 4);
        for (size_t j = 0; j < n; j++) vals[i][j] = pml_f16_to_f32_scalar(pml_f32_to_f16_scalar(test_randf(-1, 1)));
    }
    for (int scalar = 0; scalar < 2; scalar++)
        for (int threads = 1; threads <= 2; threads++) {
            pml_tensor y32, y16;
            const pml_status s32 = run(c, PML_FLOAT32, vals, scalar, threads, &y32);
            const pml_status s16 = run(c, PML_FLOAT16, vals, scalar, threads, &y16);
            CHECK_OK(s32);
            CHECK_OK(s16);
            if (s32 == PML_OK && s16 == PML_OK) {
                CHECK(y16.dtype == PML_FLOAT16 && y16.rank == y32.rank);
                CHECK(memcmp(y16.dims, y32.dims, sizeof(int64_t) * (size_t)y32.rank) == 0);
                const size_t n = y32.nbytes / sizeof(float);
                size_t bad = 0;
                for (size_t j = 0; j < n; j++)
                    bad += ((const uint16_t *)y16.data)[j] != pml_f32_to_f16_scalar(((const float *)y32.data)[j]);
                if (bad)
                    fprintf(stderr, "%s (scalar=%d threads=%d): %zu of %zu float16 outputs are not the float32 "
                                    "result rounded\n", c->what, scalar, threads, bad, n);
                CHECK(bad == 0);
            }
            pml_aligned_free(y32.data);
            pml_aligned_free(y16.data);
        }
    for (int i = 0; i < c->n_in; i++) free(vals[i]);
}

static void test_ops(void) {
    static const int64_t pads1[4] = {1, 0, 1, 2}, st2[2] = {2, 1}, dil2[2] = {1, 2}, opad[2] = {1, 0};
    const bridge_case cases[] = {
        {"matmul run-time b", PML_OP_MATMUL, 2, {3, 2}, {{2, 7, 17}, {17, 33}}, {0, 0}, {{0}}, 0},
        {"matmul packed b, relu", PML_OP_MATMUL, 2, {2, 2}, {{13, 127}, {127, 15}}, {0, 1},
         {attr_int("act", PML_ACT_RELU)}, 1},
        {"matmul batch broadcast", PML_OP_MATMUL, 2, {4, 3}, {{2, 1, 5, 16}, {3, 16, 9}}, {0, 0}, {{0}}, 0},
        {"gemm transA, row c", PML_OP_GEMM, 3, {2, 2, 1}, {{21, 6}, {21, 19}, {19}}, {0, 0, 0},
         {attr_int("transA", 1), attr_float("alpha", 0.7f), attr_float("beta", 1.3f)}, 3},
        {"gemm transB packed, full c", PML_OP_GEMM, 3, {2, 2, 2}, {{6, 21}, {19, 21}, {6, 19}}, {0, 1, 1},
         {attr_int("transB", 1), attr_float("alpha", 0.7f), attr_float("beta", 1.3f)}, 3},
        {"conv gemm, pads, bias", PML_OP_CONV, 3, {4, 4, 1}, {{2, 9, 11, 5}, {6, 3, 3, 5}, {6}}, {0, 1, 1},
         {attr_ints("pads", pads1, 4)}, 1},
        {"conv run-time weights, strides, dilations, groups", PML_OP_CONV, 3, {4, 4, 1},
         {{1, 12, 10, 6}, {4, 3, 2, 3}, {4}}, {0, 0, 0},
         {attr_ints("strides", st2, 2), attr_ints("dilations", dil2, 2), attr_int("group", 2)}, 3},
        {"conv depthwise, residual, sigmoid", PML_OP_CONV, 4, {4, 4, 1, 4},
         {{1, 7, 9, 17}, {17, 3, 3, 1}, {17}, {1, 5, 7, 17}}, {0, 1, 1, 0},
         {attr_int("group", 17), attr_int("act", PML_ACT_SIGMOID)}, 2},
        {"conv 1x1 in place", PML_OP_CONV, 2, {4, 4}, {{1, 5, 5, 16}, {33, 1, 1, 16}}, {0, 1}, {{0}}, 0},
        {"conv transpose", PML_OP_CONVTRANSPOSE, 3, {4, 4, 1}, {{2, 4, 5, 4}, {4, 3, 2, 3}, {3}}, {0, 1, 1},
         {attr_ints("strides", st2, 2), attr_ints("output_padding", opad, 2)}, 2},
        {"softmax last axis", PML_OP_SOFTMAX, 1, {3}, {{2, 5, 37}}, {0}, {{0}}, 0},
        {"log softmax inner axis", PML_OP_LOGSOFTMAX, 1, {3}, {{2, 9, 7}}, {0}, {attr_int("axis", 1)}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
}

static void test_errors(void) {
    const int64_t da[2] = {3, 4}, db[2] = {5, 2};
    pml_tensor a = test_tensor(PML_FLOAT16, 2, da, 0), b32 = test_tensor(PML_FLOAT32, 2, db, 0),
               b16 = test_tensor(PML_FLOAT16, 2, db, 1);
    pml_tensor out, *mixed[2] = {&a, &b32}, *bad_k[2] = {&a, &b16};
    pml_status s = pml_test_op(PML_OP_MATMUL, NULL, 0, mixed, 2, &out, 1, 0, 1);
    CHECK(s == PML_ERR_DTYPE);
    CHECK(strstr(pml_last_error(), "test_node") && strstr(pml_last_error(), "MatMul"));
    pml_aligned_free(out.data);
    s = pml_test_op(PML_OP_MATMUL, NULL, 0, bad_k, 2, &out, 1, 0, 1); /* contraction 4 vs 5 */
    CHECK(s == PML_ERR_SHAPE);
    CHECK(strstr(pml_last_error(), "test_node") && strstr(pml_last_error(), "contraction"));
    pml_aligned_free(out.data);
    pml_aligned_free(a.data), pml_aligned_free(b32.data), pml_aligned_free(b16.data);
}

int main(void) {
    test_ops();
    test_errors();
    return test_finish("test_f16_bridge");
}
