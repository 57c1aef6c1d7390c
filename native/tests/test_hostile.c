/*
 * test_hostile.c — hostile files: take the valid fixtures, corrupt the
 * FlatBuffer (offsets, lengths, indices, vtables), the header or the weights
 * with random mutations, RECOMPUTE the checksum so the verifier must find
 * the damage itself, and load. Each file must either be rejected with a
 * message, or load and then create a session and run (or fail cleanly).
 * Never a crash, hang or sanitizer report (build with -DPML_SANITIZE=ON).
 * Models with symbolic input dims (symbolic.pml, or a mutation that makes a
 * dim -1) are given random small input shapes and run at two of them.
 * Iterations: PML_FUZZ_ITERS (default 100000).
 */
#include "fixtures.h"
#include "testutil.h"

/* A hostile shape may ask for a huge arena: the runtime must report
 * PML_ERR_OUT_OF_MEMORY, so let ASan's allocator return NULL as libc would. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static uint64_t g_state = 0x243F6A8885A308D3ull;
static uint32_t rnd(uint32_t n) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return n ? (uint32_t)(g_state >> 32) % n : 0;
}

/* Values that stress offsets and counts. */
static const uint32_t g_interesting[] = {0,          1,          2,          3,          4,       7,
                                         8,          0x7F,       0x80,       0xFF,       0x100,   0xFFFF,
                                         0x10000,    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFC,
                                         0x40000000, 64,         1000,       9999};

static void mutate(uint8_t *buf, size_t size, size_t graph_end) {
    int n = 1 + (int)rnd(4);
    for (int k = 0; k < n; k++) {
        uint32_t region = rnd(100);
        size_t lo = 64, hi = graph_end; /* mostly the FlatBuffer */
        if (region < 4) lo = 0, hi = 64;
        else if (region < 10) lo = graph_end, hi = size;
        if (hi <= lo + 8) lo = 64, hi = graph_end;
        size_t pos = lo + rnd((uint32_t)(hi - lo - 4));
        switch (rnd(6)) {
        case 0: buf[pos] = (uint8_t)rnd(256); break;
        case 1: buf[pos] ^= (uint8_t)(1u << rnd(8)); break;
        case 2: put_le(buf + pos, g_interesting[rnd(sizeof g_interesting / sizeof g_interesting[0])], 4); break;
        case 3: put_le(buf + pos, (uint16_t)g_interesting[rnd(sizeof g_interesting / sizeof g_interesting[0])], 2); break;
        case 4: put_le(buf + pos, get_le(buf + pos, 4) + (uint32_t)rnd(17) - 8, 4); break; /* nudge an offset */
        default: memmove(buf + pos, buf + lo + rnd((uint32_t)(hi - lo - 4)), 4); break; /* another word; may overlap */
        }
    }
}

typedef struct counts {
    int rejected, loaded, session_ok, run_ok;
} counts;

/* Everything a user would do with a loaded model; must not crash. */
static void exercise(const pml_model *m, int scalar_only, counts *c) {
    pml_session_options o;
    pml_session_options_init(&o);
    o.scalar_only = scalar_only;
    o.max_loop_iterations = 64; /* a random trip count must not make the fuzzer spin */
    pml_session *s = NULL;
    if (pml_session_create(m, &o, &s) != PML_OK) {
        CHECK(pml_last_error()[0] != 0);
        return;
    }
    c->session_ok++;
    static uint8_t input[1 << 16];
    /* symbolic input dims get random small sizes; such models run at two shapes (re-planning) */
    int symbolic = 0;
    for (int round = 0; round < 1 + symbolic; round++) {
        int ok = 1;
        for (int i = 0; i < pml_session_input_count(s) && ok; i++) { /* every shape first, then the data */
            pml_tensor_info info;
            CHECK_OK(pml_session_input_info(s, i, &info));
            int64_t dims[PML_MAX_RANK];
            for (int d = 0; d < info.rank; d++) {
                int sym = pml_session_input_dim_name(s, i, d) != NULL;
                symbolic |= sym;
                dims[d] = sym ? 1 + (int64_t)rnd(4) : info.dims[d];
            }
            if (pml_session_set_input_shape(s, i, info.rank, dims) != PML_OK) {
                CHECK(pml_last_error()[0] != 0);
                ok = 0;
            }
        }
        for (int i = 0; i < pml_session_input_count(s) && ok; i++) {
            pml_tensor_info info;
            CHECK_OK(pml_session_input_info(s, i, &info));
            if (info.nbytes > sizeof input) ok = 0; /* too big to feed cheaply: creating the session was the test */
        }
        for (int i = 0; i < pml_session_input_count(s) && ok; i++) {
            pml_tensor_info info;
            CHECK_OK(pml_session_input_info(s, i, &info));
            for (size_t k = 0; k < info.nbytes; k++) input[k] = (uint8_t)rnd(256);
            /* a new shape plans here, and planning may reject the mutated graph */
            if (pml_session_set_input(s, i, input, info.nbytes) != PML_OK) {
                CHECK(pml_last_error()[0] != 0);
                ok = 0;
            }
        }
        if (ok && pml_session_run(s) == PML_OK) {
            c->run_ok++;
            for (int i = 0; i < pml_session_output_count(s); i++) {
                const void *d;
                size_t n;
                CHECK_OK(pml_session_output_data(s, i, &d, &n));
            }
        }
    }
    pml_session_free(s);
}

static void fuzz(const char *fixture, int iterations) {
    size_t size;
    uint8_t *orig = read_fixture(fixture, &size);
    CHECK(orig != NULL && size > 128);
    if (!orig || size <= 128) return free(orig);
    size_t graph_end = 64 + (size_t)get_le(orig + 32, 8);
    uint8_t *buf = malloc(size);
    counts c = {0};
    for (int it = 0; it < iterations; it++) {
        memcpy(buf, orig, size);
        mutate(buf, size, graph_end);
        fix_checksum(buf, size);
        size_t len = rnd(50) == 0 ? 64 + rnd((uint32_t)(size - 64)) : size; /* sometimes truncated too */
        pml_model *m = NULL;
        pml_status st = pml_model_load_buffer(buf, len, &m);
        if (st != PML_OK) {
            c.rejected++;
            CHECK(m == NULL && pml_last_error()[0] != 0);
            continue;
        }
        c.loaded++;
        exercise(m, it & 1, &c);
        pml_model_free(m);
    }
    printf("%s: %d mutated files: %d rejected at load, %d loaded, %d sessions created, %d ran\n", fixture, iterations,
           c.rejected, c.loaded, c.session_ok, c.run_ok);
    /* sanity: the mutations reach both outcomes */
    CHECK(c.rejected > iterations / 4);
    CHECK(c.loaded > 0);
    free(buf);
    free(orig);
}

int main(void) {
    const char *env = getenv("PML_FUZZ_ITERS");
    int iterations = env ? atoi(env) : 100000;
    if (iterations < 100) iterations = 100;
    fuzz("add_relu.pml", iterations / 4);
    fuzz("chain.pml", iterations / 4);
    fuzz("every_family.pml", iterations / 2);
    fuzz("symbolic.pml", iterations / 4);
    fuzz("state_select.pml", iterations / 4);
    fuzz("symbolic_shape_chain.pml", iterations / 4);
    fuzz("control_flow.pml", iterations / 4);
    fuzz("quant.pml", iterations / 4);
    return test_finish("test_hostile");
}
