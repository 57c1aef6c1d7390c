/*
 * testutil.h — helpers for the C tests: a tiny check framework, random data,
 * tolerance comparison, and pml_test_op, which runs one op through its
 * pack -> infer -> prepare -> run -> release -> unpack lifecycle exactly as a
 * session does, with
 * either the scalar reference kernels or the session's best ISA. Kernel tests
 * use it to compare SIMD kernels with the reference at awkward sizes.
 * Header-only so each test is one self-contained executable.
 */
#ifndef PML_TESTUTIL_H
#define PML_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels/config.h"

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        g_checks++;                                                                   \
        if (!(cond)) {                                                                \
            g_failures++;                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

#define CHECK_OK(expr)                                                                            \
    do {                                                                                          \
        pml_status _s = (expr);                                                                   \
        g_checks++;                                                                               \
        if (_s != PML_OK) {                                                                       \
            g_failures++;                                                                         \
            fprintf(stderr, "%s:%d: %s -> %s: %s\n", __FILE__, __LINE__, #expr, pml_status_string(_s), \
                    pml_last_error());                                                            \
        }                                                                                         \
    } while (0)

/* Print the summary line ctest users and CI read; return the exit code. */
static int test_finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, g_checks - g_failures, g_failures);
    return g_failures ? 1 : 0;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
/* One xorshift64 step of the tests' shared state; its high 32 bits. */
static uint32_t test_rand_u32(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 32);
}
/* Uniform in [lo, hi] (hi - lo < 2^32). */
static int32_t test_rand_range(int32_t lo, int32_t hi) {
    return lo + (int32_t)(test_rand_u32() % (uint32_t)((int64_t)hi - lo + 1));
}
static float test_randf(float lo, float hi) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return lo + (hi - lo) * (float)((g_rng >> 40) & 0xFFFFFF) / (float)0x1000000;
}
static void test_fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = test_randf(lo, hi);
}

/* max |a-b| / (atol + rtol*|b|) <= 1 ? prints the worst element otherwise */
static int test_allclose(const float *a, const float *b, size_t n, float rtol, float atol, const char *what) {
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= atol + rtol * fabsf(b[i]))) {
            fprintf(stderr, "%s: mismatch at %zu: got %g expected %g\n", what, i, a[i], b[i]);
            return 0;
        }
    }
    return 1;
}

/* A tensor owned by a test. */
static pml_tensor test_tensor(pml_dtype dtype, int rank, const int64_t *dims, int is_const) {
    pml_tensor t;
    memset(&t, 0, sizeof t);
    pml_tensor_set_shape(&t, dtype, rank, dims);
    t.name = "t";
    t.is_const = is_const;
    t.data = pml_aligned_alloc(t.nbytes);
    return t;
}

/* Attribute constructors (static storage lives in the caller). */
static pml_attr attr_int(const char *name, int64_t v) {
    pml_attr a = {0};
    a.name = name, a.type = PML_ATTR_INT, a.i = v;
    return a;
}
static pml_attr attr_float(const char *name, float v) {
    pml_attr a = {0};
    a.name = name, a.type = PML_ATTR_FLOAT, a.f = v;
    return a;
}
static pml_attr attr_ints(const char *name, const int64_t *v, int n) {
    pml_attr a = {0};
    a.name = name, a.type = PML_ATTR_INTS, a.ints = v, a.n_ints = n;
    return a;
}
static pml_attr attr_floats(const char *name, const float *v, int n) {
    pml_attr a = {0};
    a.name = name, a.type = PML_ATTR_FLOATS, a.floats = v, a.n_floats = n;
    return a;
}

/*
 * Run one op. inputs[i] may be NULL (absent optional input). Outputs are
 * allocated here from the inferred shapes (free with pml_aligned_free(out->data)).
 * scalar_only selects the reference kernels; threads > 1 uses a real pool.
 */
static pml_status pml_test_op(int op, const pml_attr *attrs, int n_attrs, pml_tensor **inputs, int n_in,
                              pml_tensor *outputs, int n_out, int scalar_only, int threads) {
    const pml_op_def *def = pml_op_lookup(op);
    if (!def) return pml_set_error(PML_ERR_UNSUPPORTED, "op %d not in the op table", op);
    static int idx_in[16], idx_out[16];
    pml_node node;
    memset(&node, 0, sizeof node);
    node.name = "test_node";
    node.op = op;
    node.n_inputs = n_in;
    node.n_outputs = n_out;
    for (int i = 0; i < n_in; i++) idx_in[i] = inputs[i] ? i : -1;
    for (int i = 0; i < n_out; i++) idx_out[i] = n_in + i;
    node.inputs = idx_in;
    node.outputs = idx_out;
    node.n_attrs = n_attrs;
    node.attrs = attrs;

    pml_tensor *outs[16];
    for (int i = 0; i < n_out; i++) {
        memset(&outputs[i], 0, sizeof outputs[i]);
        outputs[i].name = "out";
        outs[i] = &outputs[i];
    }
    pml_cpu cpu;
    pml_cpu_detect(&cpu);
    const pml_kernel_config *config = NULL; /* scalar_only: the scalar configuration, else the best */
    if (pml_kernel_config_select(&cpu, scalar_only ? "scalar" : NULL, &config)) return PML_ERR_INTERNAL;
    pml_threadpool *pool = threads > 1 ? pml_threadpool_create(threads) : NULL;
    pml_kernel_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.node = &node;
    ctx.op_name = pml_op_schema_get(op)->name;
    ctx.in = inputs;
    ctx.n_in = n_in;
    ctx.out = outs;
    ctx.n_out = n_out;
    ctx.config = config;
    ctx.pool = pool;
    /* shape-independent packing first, as a session does at creation */
    pml_status s = def->pack ? def->pack(&ctx) : PML_OK;
    if (s == PML_OK) s = pml_schema_check_inputs(&ctx); /* as the session does before infer */
    if (s == PML_OK) s = def->infer(&ctx);
    if (s == PML_OK) {
        for (int i = 0; i < n_out; i++) outputs[i].data = pml_aligned_alloc(outputs[i].nbytes);
        if (def->prepare) s = def->prepare(&ctx);
    }
    if (s == PML_OK) {
        ctx.scratch = ctx.scratch_size ? pml_aligned_alloc(ctx.scratch_size) : NULL;
        s = def->run(&ctx);
        pml_aligned_free(ctx.scratch);
    }
    if (def->release) def->release(&ctx);
    if (def->unpack && ctx.packed) def->unpack(&ctx);
    pml_threadpool_destroy(pool);
    return s;
}

#endif
