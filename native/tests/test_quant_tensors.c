/*
 * test_quant_tensors.c — quantization parameters from file to API: quant.pml (written by
 * tests/format/quant_fixtures.py) decodes its Quantization tables into pml_tensor.quant,
 * pml_session_input_quant / pml_session_output_quant report them (count 0 for a plain
 * tensor), and its data-movement nodes run on quantized tensors, moving the raw integers
 * exactly. The rejections (load and session stage) are cases of invalid_cases.txt,
 * checked by test_loader.
 */
#include <string.h>

#include "../src/model.h"
#include "fixtures.h"
#include "testutil.h"

static int quant_is(const pml_quant *q, int axis, int count, const float *scale, const int32_t *zp) {
    return q && q->axis == axis && q->count == count && memcmp(q->scale, scale, sizeof(float) * (size_t)count) == 0 &&
           memcmp(q->zero_point, zp, sizeof(int32_t) * (size_t)count) == 0;
}

static const pml_tensor *tensor_named(const pml_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

static void test_decoded_parameters(const pml_model *m) {
    const float sx[] = {0.0625f}, sw[] = {0.5f, 0.25f, 0.125f}, sb[] = {0.03125f, 0.015625f, 0.0078125f};
    const int32_t zx[] = {-3}, zw[] = {1, 0, -1}, zb[] = {0, 0, 0};
    CHECK(quant_is(tensor_named(m, "x")->quant, -1, 1, sx, zx));
    CHECK(quant_is(tensor_named(m, "y")->quant, -1, 1, sx, zx));
    CHECK(quant_is(tensor_named(m, "w")->quant, 0, 3, sw, zw));
    CHECK(quant_is(tensor_named(m, "wt")->quant, 1, 3, sw, zw)); /* the transpose moved the channel axis */
    CHECK(quant_is(tensor_named(m, "b")->quant, 0, 3, sb, zb));
    CHECK(tensor_named(m, "f")->quant == NULL && tensor_named(m, "g")->quant == NULL);
}

static void test_api_and_run(const pml_model *m) {
    pml_session *s = NULL;
    CHECK_OK(pml_session_create(m, NULL, &s));
    if (!s) return;
    pml_quant_info qi;
    CHECK_OK(pml_session_input_quant(s, 0, &qi));
    CHECK(qi.count == 1 && qi.axis == -1 && qi.scale[0] == 0.0625f && qi.zero_point[0] == -3);
    CHECK_OK(pml_session_input_quant(s, 1, &qi)); /* f: float32, not quantized */
    CHECK(qi.count == 0 && qi.axis == -1 && qi.scale == NULL && qi.zero_point == NULL);
    CHECK_OK(pml_session_output_quant(s, 1, &qi)); /* wt */
    CHECK(qi.count == 3 && qi.axis == 1 && qi.scale[2] == 0.125f && qi.zero_point[0] == 1);
    CHECK(pml_session_output_quant(s, 4, &qi) == PML_ERR_INVALID_ARGUMENT);
    CHECK(strstr(pml_last_error(), "output index 4 is out of range") != NULL);
    CHECK(pml_session_input_quant(s, 0, NULL) == PML_ERR_INVALID_ARGUMENT);

    const int8_t x[4] = {-128, -3, 0, 127};
    const float f[2] = {-1.0f, 2.0f};
    CHECK_OK(pml_session_set_input(s, 0, x, sizeof x));
    CHECK_OK(pml_session_set_input(s, 1, f, sizeof f));
    CHECK_OK(pml_session_run(s));
    const void *out;
    size_t n;
    CHECK_OK(pml_session_output_data(s, 0, &out, &n));
    CHECK(n == 4 && memcmp(out, x, 4) == 0); /* Reshape moves the stored integers as they are */
    CHECK_OK(pml_session_output_data(s, 1, &out, &n));
    const int8_t wt[6] = {-3, -1, 1, -2, 0, 2}; /* w = [[-3,-2],[-1,0],[1,2]] transposed */
    CHECK(n == 6 && memcmp(out, wt, 6) == 0);
    pml_session_free(s);
}

int main(void) {
    pml_model *m = NULL;
    CHECK_OK(pml_model_load_file(fixture_path("quant.pml"), &m));
    if (m) {
        test_decoded_parameters(m);
        test_api_and_run(m);
    }
    pml_model_free(m);
    return test_finish("test_quant_tensors");
}
