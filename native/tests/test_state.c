/*
 * test_state.c — state across runs and data-dependent shapes through the public API on
 * state_select.pml (x float32 [6]; acc = Variable(zeros [6]); y = 2 * acc; acc <- acc + x;
 * nzf = float(NonZero(x)), [1, count]; see tests/format/make_c_fixtures.py): y is twice the
 * sum of the earlier runs' x, pml_session_reset_state starts over, two sessions of one model
 * keep separate state; NonZero's count changes with x and the Cast after it is planned once
 * per count (tails cached: a count seen before plans nothing), the output info reports each
 * run's shape, and pml_session_output_shapes_vary says so.
 */
#include "fixtures.h"
#include "testutil.h"

static void run(pml_session *s, const float *x, float *y, float *nz, int64_t *count) {
    CHECK_OK(pml_session_set_input(s, 0, x, 6 * sizeof(float)));
    CHECK_OK(pml_session_run(s));
    const void *p;
    size_t n;
    CHECK_OK(pml_session_output_data(s, 0, &p, &n));
    CHECK(n == 6 * sizeof(float));
    memcpy(y, p, n);
    pml_tensor_info info;
    CHECK_OK(pml_session_output_info(s, 1, &info));
    CHECK(info.rank == 2 && info.dims[0] == 1);
    *count = info.dims[1];
    CHECK_OK(pml_session_output_data(s, 1, &p, &n));
    CHECK(n == (size_t)*count * sizeof(float));
    if (n) memcpy(nz, p, n);
}

static void test_state_and_tails(void) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("state_select.pml"), &m));
    pml_session *s = NULL, *other = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    CHECK_OK(pml_session_create(m, NULL, &other));
    CHECK(pml_session_output_shapes_vary(s) == 1);
    CHECK(pml_session_state_bytes(s) == 6 * sizeof(float));
    const float xs[4][6] = {{1, 0, 2, 0, 0, 3}, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {5, 0, 2, 0, 0, -1}};
    const int64_t want_count[4] = {3, 0, 6, 3};
    float sum[6] = {0}, y[6], nz[6];
    int64_t count;
    int plans_before_repeat = 0;
    for (int r = 0; r < 4; r++) {
        run(s, xs[r], y, nz, &count);
        for (int i = 0; i < 6; i++) CHECK(y[i] == 2 * sum[i]);
        for (int i = 0; i < 6; i++) sum[i] += xs[r][i];
        CHECK(count == want_count[r]);
        for (int64_t k = 0, j = 0; k < 6; k++)
            if (xs[r][k] != 0) CHECK(nz[j++] == (float)k);
        if (r == 2) plans_before_repeat = pml_session_plan_count(s);
    }
    CHECK(pml_session_plan_count(s) == plans_before_repeat); /* count 3 again: its tail is cached */
    run(other, xs[0], y, nz, &count); /* a second session starts from the initial value */
    for (int i = 0; i < 6; i++) CHECK(y[i] == 0);
    CHECK_OK(pml_session_reset_state(s));
    run(s, xs[2], y, nz, &count);
    for (int i = 0; i < 6; i++) CHECK(y[i] == 0);
    run(s, xs[2], y, nz, &count);
    for (int i = 0; i < 6; i++) CHECK(y[i] == 2);
    pml_session_free(other);
    pml_session_free(s);
    pml_model_free(m);
}

int main(void) {
    test_state_and_tails();
    return test_finish("test_state");
}
