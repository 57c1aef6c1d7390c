/*
 * test_memory_limit.c — pml_session_options.memory_limit through the public API.
 * symbolic.pml (x [batch,4], y [batch,1]; z = relu(x + c), p = x * y): a batch whose plan
 * does not fit the limit fails with PML_ERR_OUT_OF_MEMORY naming the bytes and the limit,
 * allocates nothing (the arena stays as it was), and the same session then runs a small
 * batch correctly, with and without a plan active before; a static model whose plan does
 * not fit fails at creation; control_flow.pml's child sessions (If, Loop, While bodies)
 * charge their root's budget, and everything charged is given back; the budget's
 * arithmetic refuses sizes that would wrap.
 */
#include "fixtures.h"
#include "session.h"
#include "session_memory.h"
#include "testutil.h"

static int contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

static const float k_c[4] = {1.0f + 0.25f, -2.0f + 0.5f, 0.5f - 1.0f, 3.0f - 4.0f}; /* c1 + c2 */

static pml_session *create(const pml_model *m, size_t limit, pml_status *status) {
    pml_session_options o;
    pml_session_options_init(&o);
    o.memory_limit = limit;
    pml_session *s = NULL;
    *status = pml_session_create(m, &o, &s);
    return s;
}

/* Fixture `name` and a session on it with the given limit (NULL when either fails). */
static pml_session *open_fixture(const char *name, size_t limit, pml_model **m) {
    pml_status st;
    *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path(name), m));
    pml_session *s = *m ? create(*m, limit, &st) : NULL;
    if (*m) CHECK_OK(st);
    return s;
}

/* Runs symbolic.pml at batch b and checks both outputs against the reference. */
static void run_symbolic(pml_session *s, int64_t b) {
    float x[64], y[16], ref[64];
    test_fill(x, (size_t)b * 4, -3.0f, 3.0f);
    test_fill(y, (size_t)b, -2.0f, 2.0f);
    CHECK_OK(pml_session_set_input_shape(s, 0, 2, (int64_t[]){b, 4}));
    CHECK_OK(pml_session_set_input_shape(s, 1, 2, (int64_t[]){b, 1}));
    CHECK_OK(pml_session_set_input(s, 0, x, (size_t)b * 16));
    CHECK_OK(pml_session_set_input(s, 1, y, (size_t)b * 4));
    CHECK_OK(pml_session_run(s));
    for (int o = 0; o < 2; o++) {
        const void *data;
        size_t n;
        CHECK_OK(pml_session_output_data(s, o, &data, &n));
        for (int64_t i = 0; i < b; i++)
            for (int j = 0; j < 4; j++) {
                float v = o == 0 ? x[i * 4 + j] + k_c[j] : x[i * 4 + j] * y[i];
                ref[i * 4 + j] = o == 0 && v < 0 ? 0 : v;
            }
        CHECK(n == (size_t)b * 16 && test_allclose(data, ref, (size_t)b * 4, 1e-6f, 1e-6f, o ? "p" : "z"));
    }
}

/* A batch of 2^20 rows plans ~52 MiB of arena: over a 1 MiB limit. */
static void expect_too_big(pml_session *s) {
    const int64_t big = (int64_t)1 << 20;
    CHECK_OK(pml_session_set_input_shape(s, 0, 2, (int64_t[]){big, 4}));
    CHECK_OK(pml_session_set_input_shape(s, 1, 2, (int64_t[]){big, 1}));
    CHECK(pml_session_run(s) == PML_ERR_OUT_OF_MEMORY);
    const char *e = pml_last_error();
    CHECK(contains(e, "[1048576,4] [1048576,1]") && contains(e, "MiB), over its memory limit of 1048576 bytes (1 MiB)"));
    float x[4] = {0};
    CHECK(pml_session_set_input(s, 0, x, sizeof x) == PML_ERR_OUT_OF_MEMORY); /* planned before the size check */
}

static void test_limit_then_smaller_batch(void) {
    pml_model *m;
    pml_session *s = open_fixture("symbolic.pml", (size_t)1 << 20, &m);
    if (!s) return pml_model_free(m);
    pml_status st;
    expect_too_big(s); /* no plan yet */
    CHECK(pml_session_plan_count(s) == 0 && pml_session_arena_size(s) == 0 && s->arena_cap == 0);
    run_symbolic(s, 4);
    const size_t arena = pml_session_arena_size(s), used = s->budget->used;
    CHECK(arena > 0 && used >= arena && used < ((size_t)1 << 20));
    expect_too_big(s); /* with a plan active: it stays, nothing grew */
    CHECK(pml_session_plan_count(s) == 1 && s->arena_cap == arena && s->budget->used == used);
    run_symbolic(s, 4); /* the cached plan */
    run_symbolic(s, 13);
    CHECK(pml_session_plan_count(s) == 2);
    pml_session_free(s);

    /* without a limit the same batch plans (the arena is not touched: it is not zeroed) */
    s = create(m, 0, &st);
    CHECK_OK(st);
    CHECK_OK(pml_session_set_input_shape(s, 0, 2, (int64_t[]){(int64_t)1 << 20, 4}));
    CHECK_OK(pml_session_set_input_shape(s, 1, 2, (int64_t[]){(int64_t)1 << 20, 1}));
    void *slot;
    size_t n;
    CHECK_OK(pml_session_input_buffer(s, 0, &slot, &n));
    CHECK(n == ((size_t)1 << 20) * 16 && pml_session_arena_size(s) > ((size_t)48 << 20));
    pml_session_free(s);
    pml_model_free(m);
}

static void test_static_model_over_the_limit(void) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    if (!m) return;
    pml_status st;
    pml_session *s = create(m, 64, &st);
    CHECK(st == PML_ERR_OUT_OF_MEMORY && s == NULL);
    CHECK(contains(pml_last_error(), "the plan for input shapes [2,3]") &&
          contains(pml_last_error(), "memory limit of 64 bytes"));
    s = create(m, 1 << 20, &st);
    CHECK_OK(st);
    float x[6] = {1, -1, 2, -2, 3, -3}, want[6] = {2, 0, 2.5f, 0, 1, 0}; /* relu(x + [1, -2, 0.5]) */
    CHECK_OK(pml_session_set_input(s, 0, x, sizeof x));
    CHECK_OK(pml_session_run(s));
    const void *out;
    size_t n;
    CHECK_OK(pml_session_output_data(s, 0, &out, &n));
    CHECK(n == sizeof want && test_allclose(out, want, 6, 0, 0, "relu"));
    pml_session_free(s);
    pml_model_free(m);
}

static pml_status run_control_flow(pml_session *s, int64_t n, int64_t steps) {
    static float x[3 * 4096];
    test_fill(x, (size_t)n * 3, 0.0f, 1.0f);
    CHECK_OK(pml_session_set_input_shape(s, 0, 2, (int64_t[]){n, 3}));
    pml_status st = pml_session_set_input(s, 1, &steps, sizeof steps); /* plans for the new shape */
    if (st == PML_OK) st = pml_session_set_input(s, 0, x, (size_t)n * 12);
    return st == PML_OK ? pml_session_run(s) : st;
}

/* What plan p and its cached tails (recursively) charged. */
static size_t plan_charged(const pml_plan *p) {
    size_t total = p->charged;
    for (int i = 0; i < p->n_tails; i++) total += plan_charged(p->tails[i]);
    return total;
}

/* Sum of what s and its children (recursively) hold for themselves and their cached plans. */
static size_t charged(const pml_session *s) {
    size_t total = s->held;
    for (int i = 0; i < s->n_plans; i++) total += plan_charged(s->plans[i]);
    for (int i = 0; i < s->model->n_nodes; i++)
        for (int k = 0; s->ctx[i].subgraphs && k < s->ctx[i].node->n_attrs; k++)
            if (s->ctx[i].subgraphs[k]) {
                const pml_session *child = (const pml_session *)s->ctx[i].subgraphs[k];
                CHECK(child->budget == s->budget); /* one budget for the whole tree */
                total += charged(child);
            }
    return total;
}

static void test_children_share_the_budget(void) {
    pml_model *m;
    pml_session *s = open_fixture("control_flow.pml", 0, &m);
    if (!s) return pml_model_free(m);
    pml_status st;
    CHECK_OK(run_control_flow(s, 2, 3));
    CHECK_OK(run_control_flow(s, 7, 2));
    const size_t used = s->budget->used;
    CHECK(used > s->arena_cap && used == charged(s)); /* children's arenas and plans count too */
    pml_session_free(s);

    /* a limit that fits small shapes only: a large x fails, the small ones still run */
    s = create(m, used + 16384, &st);
    CHECK_OK(st);
    CHECK_OK(run_control_flow(s, 7, 2));
    CHECK(run_control_flow(s, 4096, 2) == PML_ERR_OUT_OF_MEMORY && contains(pml_last_error(), "memory limit of"));
    CHECK_OK(run_control_flow(s, 7, 2));
    CHECK_OK(run_control_flow(s, 2, 3));
    CHECK(s->budget->used == charged(s) && s->budget->used <= used + 16384);
    pml_session_free(s);
    pml_model_free(m);
}

static void test_budget_arithmetic(void) {
    pml_session s = {0};
    s.budget = &s.budget_own;
    s.budget_own.limit = 1000;
    CHECK_OK(pml_mem_charge(&s, 600, "a"));
    CHECK(pml_mem_charge(&s, 401, "the second") == PML_ERR_OUT_OF_MEMORY &&
          contains(pml_last_error(), "the second needs 401 bytes; with the 600 bytes") &&
          contains(pml_last_error(), "limit of 1000 bytes"));
    CHECK_OK(pml_mem_check(&s, 1000, 600, "a replacement")); /* 600 given back first */
    CHECK(pml_mem_check(&s, SIZE_MAX, 0, "huge") == PML_ERR_OUT_OF_MEMORY &&
          contains(pml_last_error(), "more than"));
    s.budget_own.limit = 0; /* no limit: only sizes past size_t fail */
    CHECK(pml_mem_check(&s, SIZE_MAX - 10, 0, "huge") == PML_ERR_OUT_OF_MEMORY &&
          contains(pml_last_error(), "more than this process can address"));
    pml_mem_release(&s, 600);
    CHECK(s.budget_own.used == 0);
    CHECK(pml_aligned_malloc(SIZE_MAX - 3) == NULL); /* rounding up to 64 would wrap */
}

int main(void) {
    test_limit_then_smaller_batch();
    test_static_model_over_the_limit();
    test_children_share_the_budget();
    test_budget_arithmetic();
    return test_finish("test_memory_limit");
}
