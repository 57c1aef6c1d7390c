/*
 * test_embed.c — what an embedding application relies on beyond running a model: how a
 * model's bytes are held (a read-only map of the file, the read fallback for pipes and
 * POCKETML_NO_MMAP, a caller's aligned buffer in place, a misaligned one refused), model
 * metadata, the version macros, inputs written in place (pml_session_input_buffer) giving
 * the same outputs as set_input, and cancelling a long run from another thread (between a
 * loop's iterations), after which the next run works.
 */
#define _GNU_SOURCE /* setenv, usleep */
#include <pthread.h>
#include <unistd.h>

#include "fixtures.h"
#include "session.h"
#include "testutil.h"

static int contains(const char *s, const char *sub) { return s && strstr(s, sub) != NULL; }

/* add_relu's output for input x (same model, same input: byte-identical outputs). */
static void run_add_relu(pml_model *m, const float x[6], float z[6]) {
    pml_session *s = NULL;
    memset(z, 0, 6 * sizeof(float));
    CHECK_OK(pml_session_create(m, NULL, &s));
    if (!s) return;
    CHECK_OK(pml_session_set_input(s, 0, x, 6 * sizeof(float)));
    CHECK_OK(pml_session_run(s));
    const void *out;
    size_t n;
    CHECK_OK(pml_session_output_data(s, 0, &out, &n));
    if (n == 6 * sizeof(float)) memcpy(z, out, n);
    pml_session_free(s);
}

static void test_sources(void) {
    const float x[6] = {-3, -1, 0, 0.5f, 2, -0.25f};
    float want[6], got[6];
    size_t size;
    uint8_t *bytes = read_fixture("add_relu.pml", &size);
    CHECK(bytes && size > 64);
    if (!bytes) return;

    pml_model *m = NULL; /* the file, mapped */
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    CHECK(m && m->source.kind == PML_SOURCE_MAPPED && m->file_size == size && memcmp(m->file, bytes, size) == 0);
    if (m) run_add_relu(m, x, want);
    pml_model_free(m);

    setenv("POCKETML_NO_MMAP", "1", 1); /* the file, read into a copy */
    m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    CHECK(m && m->source.kind == PML_SOURCE_HEAP);
    if (m) run_add_relu(m, x, got);
    CHECK(memcmp(want, got, sizeof want) == 0);
    pml_model_free(m);
    unsetenv("POCKETML_NO_MMAP");

    /* the caller's aligned buffer, in place: constants point into it */
    uint8_t *aligned = NULL;
    CHECK(posix_memalign((void **)&aligned, 64, size + 64) == 0);
    memcpy(aligned, bytes, size);
    m = NULL;
    CHECK_OK(pml_model_load_buffer_in_place(aligned, size, &m));
    CHECK(m && m->source.kind == PML_SOURCE_BORROWED && m->file == aligned);
    int inside = m != NULL;
    for (int t = 0; m && t < m->n_tensors; t++)
        if (m->tensors[t].is_const)
            inside &= (const uint8_t *)m->tensors[t].data >= aligned &&
                      (const uint8_t *)m->tensors[t].data < aligned + size;
    CHECK(inside);
    if (m) run_add_relu(m, x, got);
    CHECK(memcmp(want, got, sizeof want) == 0);
    pml_model_free(m); /* the buffer is still ours */
    CHECK(memcmp(aligned, bytes, size) == 0);

    /* misaligned: refused with a clear error, nothing loaded */
    memmove(aligned + 8, aligned, size);
    m = (pml_model *)1;
    CHECK(pml_model_load_buffer_in_place(aligned + 8, size, &m) == PML_ERR_INVALID_ARGUMENT && m == NULL);
    CHECK(contains(pml_last_error(), "not 64-byte aligned") && contains(pml_last_error(), "pml_model_load_buffer"));
    CHECK(pml_model_load_buffer_in_place(NULL, size, &m) == PML_ERR_INVALID_ARGUMENT);
    /* a corrupted buffer in place is verified like any other */
    memmove(aligned, aligned + 8, size);
    aligned[size - 1] ^= 0xff;
    CHECK(pml_model_load_buffer_in_place(aligned, size, &m) == PML_ERR_INVALID_MODEL);
    CHECK(contains(pml_last_error(), "checksum mismatch"));
    free(aligned);
    free(bytes);
}

/* A pipe cannot be mapped: the loader reads it to the end. */
static void *write_all(void *arg) {
    int *p = arg;
    size_t size;
    uint8_t *bytes = read_fixture("chain.pml", &size);
    size_t off = 0;
    while (bytes && off < size) {
        ssize_t w = write(p[1], bytes + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(p[1]);
    free(bytes);
    return NULL;
}

static void test_pipe(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    pthread_t writer;
    pthread_create(&writer, NULL, write_all, p);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(path, &m));
    CHECK(m && m->source.kind == PML_SOURCE_HEAP && m->n_nodes == 8);
    pthread_join(writer, NULL);
    close(p[0]);
    pml_model_free(m);
}

static void test_metadata_and_version(void) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    if (!m) return;
    int n = pml_model_metadata_count(m), found = 0;
    CHECK(n >= 1);
    for (int i = 0; i < n; i++) {
        CHECK(pml_model_metadata_key(m, i) && pml_model_metadata_value(m, i));
        if (strcmp(pml_model_metadata_key(m, i), "purpose") == 0)
            found = strcmp(pml_model_metadata_value(m, i), "C loader tests") == 0;
    }
    CHECK(found);
    CHECK(strcmp(pml_model_metadata_lookup(m, "purpose"), "C loader tests") == 0);
    CHECK(pml_model_metadata_lookup(m, "no such key") == NULL);
    CHECK(pml_model_metadata_key(m, n) == NULL && contains(pml_last_error(), "out of range"));
    CHECK(pml_model_metadata_value(m, -1) == NULL);
    CHECK(pml_model_metadata_count(NULL) == 0);
    pml_model_free(m);

    char v[32];
    snprintf(v, sizeof v, "%d.%d.%d", PML_VERSION_MAJOR, PML_VERSION_MINOR, PML_VERSION_PATCH);
    CHECK(strcmp(v, PML_VERSION_STRING) == 0 && strcmp(pml_version(), PML_VERSION_STRING) == 0);
    CHECK(strcmp(pml_status_string(PML_ERR_CANCELLED), "cancelled") == 0);
}

static void test_input_buffer(void) {
    const float x[6] = {-3, -1, 0, 0.5f, 2, -0.25f};
    float want[6];
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    if (!m) return;
    run_add_relu(m, x, want);
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    for (int run = 0; s && run < 2; run++) { /* the same slot every run, written again each time */
        void *slot = NULL;
        size_t n = 0;
        CHECK_OK(pml_session_input_buffer(s, 0, &slot, &n));
        CHECK(slot && n == sizeof x && ((uintptr_t)slot % 64) == 0);
        if (slot && n == sizeof x) memcpy(slot, x, n);
        CHECK_OK(pml_session_run(s));
        const void *out;
        size_t on;
        CHECK_OK(pml_session_output_data(s, 0, &out, &on));
        CHECK(on == sizeof want && memcmp(out, want, on) == 0);
        /* a run consumes its inputs: without the buffer or set_input again, the next run says so */
        CHECK(pml_session_run(s) == PML_ERR_INVALID_ARGUMENT && contains(pml_last_error(), "was not set"));
    }
    void *slot;
    size_t n;
    CHECK(pml_session_input_buffer(s, 1, &slot, &n) == PML_ERR_INVALID_ARGUMENT);
    CHECK(pml_session_input_buffer(s, 0, NULL, &n) == PML_ERR_INVALID_ARGUMENT);
    pml_session_free(s);
    pml_model_free(m);
}

/* ---- cancellation: a Loop of two million iterations, cancelled after 30 ms ----------------- */

typedef struct {
    pml_session *s;
    int delay_us;
} canceller;

static void *cancel_later(void *arg) {
    canceller *c = arg;
    usleep((useconds_t)c->delay_us);
    CHECK_OK(pml_session_cancel(c->s));
    return NULL;
}

static pml_status run_loop(pml_session *s, int64_t steps) {
    const int64_t n = 2;
    float x[6] = {1, 2, 3, 4, 5, 6};
    CHECK_OK(pml_session_set_input_shape(s, 0, 2, (int64_t[]){n, 3}));
    CHECK_OK(pml_session_set_input(s, 1, &steps, sizeof steps));
    CHECK_OK(pml_session_set_input(s, 0, x, sizeof x));
    return pml_session_run(s);
}

static void test_cancel(void) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("control_flow.pml"), &m));
    if (!m) return;
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    if (!s) return pml_model_free(m);
    /* a request made before a run is cleared by the run */
    CHECK_OK(pml_session_cancel(s));
    CHECK_OK(run_loop(s, 3));

    canceller c = {s, 30000};
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &c);
    pml_status st = run_loop(s, 2000000);
    pthread_join(t, NULL);
    CHECK(st == PML_ERR_CANCELLED);
    CHECK(contains(pml_last_error(), "cancelled"));
    const void *out;
    size_t n;
    CHECK(pml_session_output_data(s, 0, &out, &n) == PML_ERR_INVALID_ARGUMENT);

    CHECK_OK(run_loop(s, 4)); /* the session still works */
    pml_tensor_info info;
    CHECK_OK(pml_session_output_info(s, 2, &info));
    CHECK(info.rank == 2 && info.dims[0] == 4);
    CHECK(pml_session_cancel(NULL) == PML_ERR_INVALID_ARGUMENT);
    pml_session_free(s);
    pml_model_free(m);
}

int main(void) {
    test_sources();
    test_pipe();
    test_metadata_and_version();
    test_input_buffer();
    test_cancel();
    return test_finish("test_embed");
}
