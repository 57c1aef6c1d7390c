/*
 * test_loader.c — the .pml loader and verifier: valid fixtures decode as
 * written (tensors, nodes, attributes, constants in place and 64-aligned);
 * every header field, truncation point and checksum failure is rejected
 * with its message; every semantic case in data/invalid_cases.txt fails at
 * the stage and with the status and message it names; the CRC-32 matches
 * zlib's.
 */
#include "crc32.h"
#include "fixtures.h"
#include "testutil.h"

static int contains(const char *s, const char *sub) { return s && sub && strstr(s, sub) != NULL; }

/* Load bytes, expect `status` with `substring` in the message. */
static void expect_load_error(const uint8_t *buf, size_t size, pml_status status, const char *substring,
                              const char *what) {
    pml_model *m = NULL;
    pml_status s = pml_model_load_buffer(buf, size, &m);
    CHECK(m == NULL);
    if (s != status || !contains(pml_last_error(), substring)) {
        g_failures++;
        fprintf(stderr, "%s: expected %s with \"%s\", got %s: %s\n", what, pml_status_string(status), substring,
                pml_status_string(s), pml_last_error());
    }
    g_checks++;
    pml_model_free(m);
}

static void test_crc32(void) {
    CHECK(pml_crc32(0, "123456789", 9) == 0xCBF43926u); /* the standard check value */
    CHECK(pml_crc32(0, "", 0) == 0);
    /* slice-by-8 against the bytewise definition at every length and alignment */
    uint8_t data[300];
    for (int i = 0; i < 300; i++) data[i] = (uint8_t)(i * 131 + 7);
    for (int off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 300; n += 13) {
            uint32_t c = 0xFFFFFFFFu;
            for (size_t i = 0; i < n; i++) {
                c ^= data[off + i];
                for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            CHECK(pml_crc32(0, data + off, n) == ~c);
            /* chaining: crc(a+b) == crc(b, crc(a)) as zlib.crc32 */
            CHECK(pml_crc32(pml_crc32(0, data + off, n / 2), data + off + n / 2, n - n / 2) == ~c);
        }
}

static void test_valid(void) {
    size_t size;
    uint8_t *buf = read_fixture("add_relu.pml", &size);
    CHECK(buf != NULL);
    if (!buf) return;
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_buffer(buf, size, &m));
    if (m) {
        CHECK(pml_model_weight_loads(m) == 1);
        CHECK(m->n_tensors == 4 && m->n_nodes == 2 && m->n_inputs == 1 && m->n_outputs == 1);
        CHECK(strcmp(m->graph_name, "add_relu") == 0 && strcmp(m->producer, "pocketml") == 0);
        CHECK(m->n_metadata == 1 && strcmp(m->metadata[0].key, "purpose") == 0);
        const pml_tensor *x = &m->tensors[m->inputs[0]];
        CHECK(strcmp(x->name, "x") == 0 && x->dtype == PML_FLOAT32 && x->rank == 2 && x->dims[0] == 2 &&
              x->dims[1] == 3 && x->nbytes == 24 && !x->is_const);
        const pml_node *add = &m->nodes[0];
        CHECK(add->op == PML_OP_ADD && strcmp(add->name, "add") == 0 && add->n_inputs == 2 && add->n_outputs == 1);
        /* the writer fills in every registry attribute */
        CHECK(pml_attr_find(add, "act") && pml_attr_int(add, "act", -1) == 0);
        CHECK(pml_attr_find(add, "act_alpha") && pml_attr_find(add, "act_alpha")->type == PML_ATTR_FLOAT);
        const pml_tensor *bias = &m->tensors[add->inputs[1]];
        CHECK(bias->is_const && strcmp(bias->name, "bias") == 0 && bias->nbytes == 12);
        /* constants are used in place: inside the file copy, 64-aligned */
        CHECK(((uintptr_t)bias->data % 64) == 0);
        CHECK((uint8_t *)bias->data >= m->file && (uint8_t *)bias->data + 12 <= m->file + m->file_size);
        const float want[3] = {1.0f, -2.0f, 0.5f};
        CHECK(memcmp(bias->data, want, sizeof want) == 0);
    }
    pml_model_free(m);

    /* the file path gives the same model */
    m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("add_relu.pml"), &m));
    CHECK(m && m->file_size == size && memcmp(m->file, buf, size) == 0);
    pml_model_free(m);

    m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("chain.pml"), &m));
    CHECK(m && m->n_nodes == 8 && m->n_inputs == 2 && m->n_outputs == 2);
    if (m) {
        const pml_node *add3 = &m->nodes[3];
        CHECK(strcmp(add3->name, "add3") == 0 && pml_attr_int(add3, "act", 0) == 1);
        int n_const = 0;
        for (int t = 0; t < m->n_tensors; t++)
            if (m->tensors[t].is_const) {
                n_const++;
                CHECK(((uintptr_t)m->tensors[t].data % 64) == 0);
            }
        CHECK(n_const == 3);
    }
    pml_model_free(m);
    free(buf);
}

static void test_io_errors(void) {
    pml_model *m = NULL;
    CHECK(pml_model_load_file("/nonexistent/dir/model.pml", &m) == PML_ERR_IO);
    CHECK(contains(pml_last_error(), "/nonexistent/dir/model.pml") && contains(pml_last_error(), "No such file"));
    CHECK(m == NULL);
    CHECK(pml_model_load_file(PML_TEST_DATA_DIR, &m) == PML_ERR_IO);
    CHECK(contains(pml_last_error(), "not a regular file"));
    CHECK(pml_model_load_buffer("", 0, &m) == PML_ERR_INVALID_MODEL);
    CHECK(contains(pml_last_error(), "file truncated: 0 bytes"));
}

/* One header field rewritten (checksum recomputed unless told otherwise). */
static void header_case(const uint8_t *orig, size_t size, size_t off, int width, uint64_t value, int fix,
                        pml_status status, const char *substring) {
    uint8_t *buf = malloc(size);
    memcpy(buf, orig, size);
    put_le(buf + off, value, width);
    if (fix) fix_checksum(buf, size);
    char what[64];
    snprintf(what, sizeof what, "header field at %zu = %llu", off, (unsigned long long)value);
    expect_load_error(buf, size, status, substring, what);
    free(buf);
}

static void test_header(void) {
    size_t size;
    uint8_t *buf = read_fixture("chain.pml", &size);
    CHECK(buf != NULL && size > 128);
    if (!buf || size <= 128) return free(buf);
    uint64_t graph_size = get_le(buf + 32, 8), weights_off = get_le(buf + 40, 8);
    header_case(buf, size, 0, 1, 'X', 0, PML_ERR_INVALID_MODEL, "not a .pml file: magic bytes are 58 4f");
    header_case(buf, size, 8, 4, 2, 1, PML_ERR_UNSUPPORTED, "format version 2; this runtime reads versions up to 1");
    header_case(buf, size, 8, 4, 0, 1, PML_ERR_INVALID_MODEL, "format version 0 is invalid");
    header_case(buf, size, 12, 4, 32, 1, PML_ERR_INVALID_MODEL, "header_size is 32, expected 64");
    header_case(buf, size, 16, 8, size + 1, 1, PML_ERR_INVALID_MODEL, "file truncated: header says");
    header_case(buf, size, 16, 8, size - 1, 1, PML_ERR_INVALID_MODEL, "(trailing bytes or a corrupted header)");
    /* header flags name required features: a bit this runtime does not know is refused (bit 0,
     * quantized tensors, is known; the flag-less runtimes before it refuse any bit) */
    header_case(buf, size, 56, 4, 2, 1, PML_ERR_UNSUPPORTED, "requires features 0x00000002 this runtime does not");
    header_case(buf, size, 56, 4, 0x80000001u, 1, PML_ERR_UNSUPPORTED, "requires features 0x80000000");
    header_case(buf, size, 24, 8, 128, 1, PML_ERR_INVALID_MODEL, "graph_offset is 128, expected 64");
    header_case(buf, size, 32, 8, 0, 1, PML_ERR_INVALID_MODEL, "graph section [64, +0 bytes)");
    header_case(buf, size, 32, 8, UINT64_MAX - 8, 1, PML_ERR_INVALID_MODEL, "does not fit in the");
    header_case(buf, size, 40, 8, weights_off + 8, 1, PML_ERR_INVALID_MODEL, "is not a multiple of 64");
    header_case(buf, size, 40, 8, 0, 1, PML_ERR_INVALID_MODEL, "must lie between the end of the graph");
    header_case(buf, size, 40, 8, UINT64_MAX - 63, 1, PML_ERR_INVALID_MODEL, "must lie between");
    header_case(buf, size, 48, 8, 1, 1, PML_ERR_INVALID_MODEL, "must end at the end of the file");
    header_case(buf, size, 60, 4, get_le(buf + 60, 4) ^ 1, 0, PML_ERR_INVALID_MODEL,
                "checksum mismatch: file is corrupted (stored 0x");

    /* a flipped byte anywhere (header field, graph, weights, padding) fails the checksum */
    for (size_t i = 0; i < size; i += (i < 64 ? 1 : 5)) {
        if (i >= 60 && i < 64) continue; /* the checksum itself: covered above */
        uint8_t *b = malloc(size);
        memcpy(b, buf, size);
        b[i] ^= 0x20;
        pml_model *m = NULL;
        pml_status s = pml_model_load_buffer(b, size, &m);
        CHECK(s != PML_OK && m == NULL);
        if (i >= 16) CHECK(contains(pml_last_error(), "checksum mismatch") || contains(pml_last_error(), "header"));
        free(b);
    }
    /* truncation at every point of the header, then every 3rd byte */
    for (size_t n = 0; n < size; n += (n < 64 ? 1 : 3)) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", n);
        expect_load_error(buf, n, PML_ERR_INVALID_MODEL, n < 8 || n >= 64 ? "file truncated" : "", what);
    }
    /* graph identifier ("PMLG" at graph offset + 4) */
    uint8_t *b = malloc(size);
    memcpy(b, buf, size);
    memcpy(b + 68, "XXXX", 4);
    fix_checksum(b, size);
    expect_load_error(b, size, PML_ERR_INVALID_MODEL, "graph section: root: file identifier is \"XXXX\"", "identifier");
    /* root offset pointing past the graph section */
    memcpy(b, buf, size);
    put_le(b + 64, graph_size, 4);
    fix_checksum(b, size);
    expect_load_error(b, size, PML_ERR_INVALID_MODEL, "model table at offset", "root offset");
    free(b);
    free(buf);
}

/* Every case of data/invalid_cases.txt: file, stage, status, message. */
static void test_invalid_cases(void) {
    size_t size;
    uint8_t *list = read_fixture("invalid_cases.txt", &size);
    CHECK(list != NULL);
    if (!list) return;
    char *text = realloc(list, size + 1);
    text[size] = 0;
    int n_cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *file = line, *stage = strchr(file, '\t');
        char *status = stage ? strchr(stage + 1, '\t') : NULL;
        char *msg = status ? strchr(status + 1, '\t') : NULL;
        CHECK(msg != NULL);
        if (!msg) continue;
        *stage++ = *status++ = *msg++ = 0;
        n_cases++;
        pml_model *m = NULL;
        pml_session *sess = NULL;
        pml_status s = pml_model_load_file(fixture_path(file), &m);
        if (strcmp(stage, "session") == 0 && s == PML_OK) s = pml_session_create(m, NULL, &sess);
        int ok = s != PML_OK && strcmp(pml_status_string(s), status) == 0 && contains(pml_last_error(), msg) &&
                 sess == NULL && (strcmp(stage, "load") != 0 || m == NULL);
        g_checks++;
        if (!ok) {
            g_failures++;
            fprintf(stderr, "%s (%s): expected %s with \"%s\", got %s: %s\n", file, stage, status, msg,
                    pml_status_string(s), pml_last_error());
        }
        pml_session_free(sess);
        pml_model_free(m);
    }
    CHECK(n_cases >= 25);
    free(text);
}

int main(void) {
    test_crc32();
    test_valid();
    test_io_errors();
    test_header();
    test_invalid_cases();
    return test_finish("test_loader");
}
