/*
 * test_api.c — the public C API: argument validation (NULL, index ranges)
 * with readable errors, tensor info, find by name, set_input size checks,
 * run/output lifecycle, numerics of the fixtures against a hand-written
 * reference, scalar vs SIMD sessions, thread counts, one model shared by
 * sessions on two threads, and that set_input/run/output_data (and switching
 * between cached input-shape plans) allocate nothing (malloc is interposed
 * in this executable on glibc without ASan).
 */
#include <pthread.h>

#include "fixtures.h"
#include "testutil.h"

/* ---- allocation counter --------------------------------------------------------- */
#if defined(__has_feature) /* clang's way of saying __SANITIZE_ADDRESS__ */
#if __has_feature(address_sanitizer)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define PML_COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static volatile int g_counting, g_allocs;
void *malloc(size_t n) {
    if (g_counting) __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
    if (g_counting) __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
    if (g_counting) __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}
int posix_memalign(void **p, size_t align, size_t n) {
    if (g_counting) __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    *p = __libc_memalign(align, n);
    return *p || !n ? 0 : 12 /* ENOMEM */;
}
void *aligned_alloc(size_t align, size_t n) {
    if (g_counting) __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_memalign(align, n);
}
void free(void *p) { __libc_free(p); }
#endif

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static pml_model *load(const char *name) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path(name), &m));
    return m;
}

static void test_null_arguments(void) {
    pml_model *m = load("add_relu.pml");
    pml_session *s = NULL;
    pml_tensor_info info;
    int idx;
    const void *data;
    size_t n;
    float buf[6] = {0};

    pml_model *tmp = NULL;
    CHECK(pml_model_load_file(NULL, &tmp) == PML_ERR_INVALID_ARGUMENT && contains(pml_last_error(), "path is NULL"));
    CHECK(pml_model_load_file("x.pml", NULL) == PML_ERR_INVALID_ARGUMENT);
    pml_model *m2 = (pml_model *)1;
    CHECK(pml_model_load_buffer(NULL, 10, &m2) == PML_ERR_INVALID_ARGUMENT && m2 == NULL);
    CHECK(pml_model_weight_loads(NULL) == 0 && contains(pml_last_error(), "model is NULL"));
    CHECK(pml_session_create(NULL, NULL, &s) == PML_ERR_INVALID_ARGUMENT && s == NULL);
    CHECK(pml_session_create(m, NULL, NULL) == PML_ERR_INVALID_ARGUMENT);
    pml_session_options bad;
    pml_session_options_init(&bad);
    bad.num_threads = 100000;
    CHECK(pml_session_create(m, &bad, &s) == PML_ERR_INVALID_ARGUMENT && contains(pml_last_error(), "num_threads"));
    pml_session_options_init(NULL); /* no crash */
    pml_model_free(NULL);
    pml_session_free(NULL);

    CHECK(pml_session_input_count(NULL) == 0 && pml_session_output_count(NULL) == 0);
    CHECK(pml_session_input_info(NULL, 0, &info) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_find_input(NULL, "x", &idx) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_set_input(NULL, 0, buf, sizeof buf) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_run(NULL) == PML_ERR_INVALID_ARGUMENT && contains(pml_last_error(), "pml_session_run"));
    CHECK(pml_session_output_data(NULL, 0, &data, &n) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_arena_size(NULL) == 0 && pml_session_state_size(NULL) == 0);
    CHECK(pml_session_num_threads(NULL) == 0 && strcmp(pml_session_isa(NULL), "") == 0);

    CHECK_OK(pml_session_create(m, NULL, &s));
    if (s) {
        CHECK(pml_session_input_info(s, 0, NULL) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_input_info(s, 1, &info) == PML_ERR_INVALID_ARGUMENT);
        CHECK(contains(pml_last_error(), "input index 1 is out of range (the model has 1 inputs)"));
        CHECK(pml_session_output_info(s, -1, &info) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_find_input(s, NULL, &idx) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_find_input(s, "x", NULL) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_find_output(s, "nope", &idx) == PML_ERR_NOT_FOUND);
        CHECK(contains(pml_last_error(), "no output named 'nope' (outputs: 'z')"));
        CHECK(pml_session_set_input(s, 0, NULL, 24) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_set_input(s, 5, buf, 24) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_output_data(s, 0, NULL, &n) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_output_data(s, 0, &data, NULL) == PML_ERR_INVALID_ARGUMENT);
        CHECK(pml_session_output_data(s, 3, &data, &n) == PML_ERR_INVALID_ARGUMENT);
    }
    pml_session_free(s);
    pml_model_free(m);
}

static void test_add_relu(void) {
    pml_model *m = load("add_relu.pml");
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    if (!s) return pml_model_free(m);
    CHECK(pml_version()[0] != 0 && pml_format_version() == 1);
    CHECK(pml_session_input_count(s) == 1 && pml_session_output_count(s) == 1);
    pml_tensor_info in, out;
    CHECK_OK(pml_session_input_info(s, 0, &in));
    CHECK(strcmp(in.name, "x") == 0 && in.dtype == PML_FLOAT32 && in.rank == 2 && in.dims[0] == 2 &&
          in.dims[1] == 3 && in.nbytes == 24);
    CHECK_OK(pml_session_output_info(s, 0, &out));
    CHECK(strcmp(out.name, "z") == 0 && out.nbytes == 24);
    int idx = -1;
    CHECK_OK(pml_session_find_input(s, "x", &idx));
    CHECK(idx == 0);
    CHECK_OK(pml_session_find_output(s, "z", &idx));
    CHECK(idx == 0);
    CHECK(pml_session_num_threads(s) == 1);
    /* x [0,0], y [0,1], z [1,1]: x and z share bytes, so 2 x 64 */
    CHECK(pml_session_arena_size(s) == 128);

    const void *data;
    size_t n;
    CHECK(pml_session_output_data(s, 0, &data, &n) == PML_ERR_INVALID_ARGUMENT);
    CHECK(contains(pml_last_error(), "has not completed a run"));
    CHECK(pml_session_run(s) == PML_ERR_INVALID_ARGUMENT && contains(pml_last_error(), "input 'x' was not set"));
    float x[6] = {-3, -1, 0, 0.5f, 2, -0.25f}, bias[3] = {1.0f, -2.0f, 0.5f};
    CHECK(pml_session_set_input(s, 0, x, 20) == PML_ERR_SHAPE);
    CHECK(contains(pml_last_error(), "input 'x' expects 24 bytes (float32 [2,3]), got 20"));
    CHECK_OK(pml_session_set_input(s, 0, x, sizeof x));
    CHECK_OK(pml_session_run(s));
    CHECK_OK(pml_session_output_data(s, 0, &data, &n));
    CHECK(n == 24);
    float want[6];
    for (int i = 0; i < 6; i++) want[i] = x[i] + bias[i % 3] > 0 ? x[i] + bias[i % 3] : 0;
    CHECK(data && test_allclose(data, want, 6, 0, 0, "add_relu"));
    /* inputs are consumed by a run */
    CHECK(pml_session_run(s) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_output_data(s, 0, &data, &n) == PML_ERR_INVALID_ARGUMENT);
    pml_session_free(s);
    pml_model_free(m);
}

/* chain.pml reference, written out by hand (see tests/format/make_c_fixtures.py). */
static void chain_reference(const pml_model *m, const float *a, const float *b, float *s6, float *s7) {
    const float *w0 = NULL, *w1 = NULL, *w2 = NULL;
    for (int t = 0; t < m->n_tensors; t++) {
        if (strcmp(m->tensors[t].name, "w0") == 0) w0 = m->tensors[t].data;
        if (strcmp(m->tensors[t].name, "w1") == 0) w1 = m->tensors[t].data;
        if (strcmp(m->tensors[t].name, "w2") == 0) w2 = m->tensors[t].data;
    }
    for (int i = 0; i < 32; i++) {
        float s0 = a[i] + b[i];
        float s1 = s0 * w0[i];
        float s2 = s1 > 0 ? s1 : 0;
        float s3 = s2 + w1[i % 8];
        s3 = s3 > 0 ? s3 : 0;
        float s4 = 1.0f / (1.0f + expf(-s3));
        float s5 = s4 - a[i];
        s6[i] = s5 * w2[i % 8];
        s7[i] = s0 > 0 ? s0 : 0;
    }
}

typedef struct run_arg {
    const pml_model *model;
    int scalar_only, threads, iterations, ok;
} run_arg;

/* Create a session on the shared model, run it repeatedly, compare with the reference. */
static void *run_chain(void *p) {
    run_arg *r = p;
    pml_session_options o;
    pml_session_options_init(&o);
    o.scalar_only = r->scalar_only;
    o.num_threads = r->threads;
    pml_session *s = NULL;
    r->ok = pml_session_create(r->model, &o, &s) == PML_OK;
    float a[32], b[32], w6[32], w7[32];
    for (int it = 0; r->ok && it < r->iterations; it++) {
        for (int i = 0; i < 32; i++) a[i] = (float)((i * 7 + it) % 11) - 5.0f, b[i] = (float)((i * 3) % 5) - 2.0f;
        chain_reference(r->model, a, b, w6, w7);
        int ia, ib, o6, o7;
        r->ok &= pml_session_find_input(s, "a", &ia) == PML_OK && pml_session_find_input(s, "b", &ib) == PML_OK;
        r->ok &= pml_session_find_output(s, "s6", &o6) == PML_OK && pml_session_find_output(s, "s7", &o7) == PML_OK;
        r->ok &= pml_session_set_input(s, ia, a, sizeof a) == PML_OK && pml_session_set_input(s, ib, b, sizeof b) == PML_OK;
        r->ok &= pml_session_run(s) == PML_OK;
        const void *d6 = NULL, *d7 = NULL;
        size_t n6 = 0, n7 = 0;
        r->ok &= pml_session_output_data(s, o6, &d6, &n6) == PML_OK && pml_session_output_data(s, o7, &d7, &n7) == PML_OK;
        r->ok &= n6 == sizeof w6 && n7 == sizeof w7 && test_allclose(d6, w6, 32, 1e-5f, 1e-6f, "chain s6") &&
                 test_allclose(d7, w7, 32, 0, 0, "chain s7");
    }
    pml_session_free(s);
    return NULL;
}

/* Forcing a kernel configuration: by option, by POCKETML_ISA, scalar_only as
 * an alias; unknown names fail and name what this CPU offers. */
static void test_isa_forcing(void) {
    pml_model *m = load("chain.pml");
    if (!m) return;
    const char *avail = pml_available_isas();
    printf("available isas: %s\n", avail);
    CHECK(strstr(avail, "scalar") != NULL);
    pml_session_options o;
    pml_session_options_init(&o);
    CHECK(o.isa == NULL);
    pml_session *s = NULL;
    o.isa = "scalar";
    CHECK_OK(pml_session_create(m, &o, &s));
    if (s) CHECK(strcmp(pml_session_isa(s), "scalar") == 0);
    pml_session_free(s);
    s = NULL;
    o.isa = "no-such-isa";
    CHECK(pml_session_create(m, &o, &s) == PML_ERR_UNSUPPORTED && s == NULL);
    CHECK(strstr(pml_last_error(), "no-such-isa") && strstr(pml_last_error(), avail));
    o.isa = "avx2";
    o.scalar_only = 1;
    CHECK(pml_session_create(m, &o, &s) == PML_ERR_INVALID_ARGUMENT && s == NULL);
    o.isa = NULL;
    const char *env = getenv("POCKETML_ISA");
    char saved[64];
    snprintf(saved, sizeof saved, "%s", env ? env : "");
    setenv("POCKETML_ISA", "scalar", 1);
    o.scalar_only = 0;
    CHECK_OK(pml_session_create(m, &o, &s));
    if (s) CHECK(strcmp(pml_session_isa(s), "scalar") == 0);
    pml_session_free(s);
    s = NULL;
    setenv("POCKETML_ISA", "no-such-isa", 1);
    CHECK(pml_session_create(m, &o, &s) == PML_ERR_UNSUPPORTED);
    o.isa = "scalar"; /* the option wins over the environment */
    CHECK_OK(pml_session_create(m, &o, &s));
    pml_session_free(s);
    if (env) setenv("POCKETML_ISA", saved, 1); /* as the caller had it */
    else unsetenv("POCKETML_ISA");
    pml_model_free(m);
}

static void test_chain_sessions(void) {
    pml_model *m = load("chain.pml");
    if (!m) return;
    pml_session_options o;
    pml_session_options_init(&o);
    CHECK(o.num_threads == 1 && o.scalar_only == 0);
    pml_session *simd = NULL, *scalar = NULL, *threaded = NULL;
    CHECK_OK(pml_session_create(m, &o, &simd));
    o.scalar_only = 1;
    CHECK_OK(pml_session_create(m, &o, &scalar));
    o.scalar_only = 0;
    o.num_threads = 2;
    CHECK_OK(pml_session_create(m, &o, &threaded));
    if (simd && scalar && threaded) {
        pml_cpu cpu;
        pml_cpu_detect(&cpu);
        const char *forced = getenv("POCKETML_ISA"); /* the suites may run with a configuration forced */
        const int avx2 = cpu.avx2 && cpu.fma && cpu.f16c;
        const int vnni = avx2 && cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512vnni;
        const char *best = vnni ? "avx512vnni" : avx2 ? "avx2" : "scalar";
        CHECK(strcmp(pml_session_isa(simd), forced && *forced ? forced : best) == 0);
        CHECK(strcmp(pml_session_isa(scalar), "scalar") == 0);
        CHECK(pml_session_num_threads(threaded) == 2);
        /* 9 float32 [4,8] activations (128 B each): at most 4 live at once (a, s0, and two in flight) */
        size_t arena = pml_session_arena_size(simd);
        printf("chain arena: %zu bytes\n", arena);
        CHECK(arena >= 4 * 128 && arena <= 5 * 128);
    }
    pml_session_free(simd);
    pml_session_free(scalar);
    pml_session_free(threaded);
    CHECK(pml_model_weight_loads(m) == 1); /* sessions never re-read weights */

    /* one model, two sessions on two threads at once (+ scalar vs SIMD, 1 vs 2 threads) */
    run_arg args[2] = {{m, 0, 2, 200, 0}, {m, 1, 1, 200, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_chain, &args[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    CHECK(args[0].ok && args[1].ok);
    pml_model_free(m);
}

static void test_no_allocation_while_running(void) {
#ifdef PML_COUNT_ALLOCS
    pml_model *m = load("chain.pml");
    pml_session_options o;
    pml_session_options_init(&o);
    o.num_threads = 2;
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, &o, &s));
    if (s) {
        float a[32] = {0}, b[32] = {0};
        const void *d;
        size_t n;
        g_allocs = 0;
        g_counting = 1;
        for (int it = 0; it < 10; it++) {
            pml_session_set_input(s, 0, a, sizeof a);
            pml_session_set_input(s, 1, b, sizeof b);
            pml_session_run(s);
            pml_session_output_data(s, 0, &d, &n);
        }
        g_counting = 0;
        CHECK(g_allocs == 0);
        if (g_allocs) fprintf(stderr, "%d allocations during set_input/run/output_data\n", g_allocs);
    }
    pml_session_free(s);
    pml_model_free(m);
#endif
}

/* Switching between input shapes whose plans are cached allocates nothing either. */
static void test_no_allocation_switching_cached_shapes(void) {
#ifdef PML_COUNT_ALLOCS
    pml_model *m = load("symbolic.pml");
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    if (s) {
        float x[12] = {0}, y[3] = {0};
        int64_t batches[] = {1, 3};
        for (int it = 0; it < 12; it++) {
            if (it == 2) g_allocs = 0, g_counting = 1; /* both plans exist from here on */
            int64_t b = batches[it % 2], dx[2] = {b, 4}, dy[2] = {b, 1};
            pml_session_set_input_shape(s, 0, 2, dx);
            pml_session_set_input_shape(s, 1, 2, dy);
            pml_session_set_input(s, 0, x, (size_t)b * 4 * sizeof(float));
            pml_session_set_input(s, 1, y, (size_t)b * sizeof(float));
            CHECK_OK(pml_session_run(s));
        }
        g_counting = 0;
        CHECK(g_allocs == 0 && pml_session_plan_count(s) == 2);
        if (g_allocs) fprintf(stderr, "%d allocations switching between cached plans\n", g_allocs);
    }
    pml_session_free(s);
    pml_model_free(m);
#endif
}

int main(void) {
    test_null_arguments();
    test_add_relu();
    test_chain_sessions();
    test_isa_forcing();
    test_no_allocation_while_running();
    test_no_allocation_switching_cached_shapes();
    return test_finish("test_api");
}
