/*
 * test_attr_domains.c — a hostile .pml can carry any attribute value, so the ops' infer
 * functions check attribute domains themselves: a flag (keepdims, exclusive, largest, upper,
 * allowzero, detect_positive...) other than 0 or 1, a stride or kernel below 1, an enum code
 * outside its table. Each case must fail with PML_ERR_INVALID_MODEL (or UNSUPPORTED for an
 * enum code this build does not know) and an error naming the attribute and the value; the
 * same node with the boundary values 0 and 1 must still run.
 */
#include "typed_testutil.h"

static void expect_refused(const char *what, pml_status want, int op, const pml_attr *at, int n_at, pml_tensor **in,
                           int n_in, int n_out, const char *needle) {
    tt_expect_error(what, want, op, at, n_at, in, n_in, n_out);
    int named = strstr(pml_last_error(), needle) != NULL;
    if (!named) fprintf(stderr, "%s: error '%s' does not name '%s'\n", what, pml_last_error(), needle);
    CHECK(named);
}

/* op with the flag attribute `name` = 7 is refused; = 0 and = 1 run */
static void check_flag(int op, const char *name, pml_tensor **in, int n_in, int n_out) {
    char what[96];
    snprintf(what, sizeof what, "op %d %s=7", op, name);
    pml_attr bad = attr_int(name, 7);
    expect_refused(what, PML_ERR_INVALID_MODEL, op, &bad, 1, in, n_in, n_out, name);
    CHECK(strstr(pml_last_error(), "= 7") != NULL && strstr(pml_last_error(), "allowed: 0, 1") != NULL);
    pml_attr neg = attr_int(name, -1);
    expect_refused(what, PML_ERR_INVALID_MODEL, op, &neg, 1, in, n_in, n_out, name);
    for (int v = 0; v <= 1; v++) {
        pml_tensor out[2];
        pml_attr ok = attr_int(name, v);
        pml_status s = pml_test_op(op, &ok, 1, in, n_in, out, n_out, 1, 1);
        if (s != PML_OK) fprintf(stderr, "op %d %s=%d: %s\n", op, name, v, pml_last_error());
        CHECK(s == PML_OK);
        for (int i = 0; i < n_out; i++) pml_aligned_free(out[i].data);
    }
}

static void test_flags(void) {
    int64_t d[2] = {3, 4}, one[1] = {1}, shape[2] = {4, 3};
    pml_tensor x = tt_make(PML_FLOAT32, 2, d, NULL);
    int64_t axis_v = 1, k_v = 2;
    pml_tensor axis = tt_make(PML_INT64, 0, NULL, &axis_v), k = tt_make(PML_INT64, 1, one, &k_v);
    k.is_const = 1; /* TopK reads k while planning */
    pml_tensor *x1[1] = {&x}, *xa[2] = {&x, &axis}, *xk[2] = {&x, &k};
    check_flag(PML_OP_REDUCEMAX, "keepdims", x1, 1, 1);
    check_flag(PML_OP_REDUCEMAX, "noop_with_empty_axes", x1, 1, 1);
    check_flag(PML_OP_ARGMAX, "keepdims", x1, 1, 1);
    check_flag(PML_OP_ARGMAX, "select_last_index", x1, 1, 1);
    check_flag(PML_OP_CUMSUM, "exclusive", xa, 2, 1);
    check_flag(PML_OP_CUMSUM, "reverse", xa, 2, 1);
    check_flag(PML_OP_TOPK, "largest", xk, 2, 2);
    check_flag(PML_OP_TOPK, "sorted", xk, 2, 2);
    check_flag(PML_OP_TRILU, "upper", x1, 1, 1);
    check_flag(PML_OP_ISINF, "detect_positive", x1, 1, 1);
    pml_attr a[2] = {attr_ints("shape", shape, 2), attr_int("allowzero", 3)};
    expect_refused("Reshape allowzero=3", PML_ERR_INVALID_MODEL, PML_OP_RESHAPE, a, 2, x1, 1, 1, "allowzero");
    tt_free(&x), tt_free(&axis), tt_free(&k);
}

static void test_windows_and_enums(void) {
    int64_t d[4] = {1, 5, 5, 2}, k2[2] = {2, 2}, neg[2] = {1, -1}, zero[2] = {0, 2};
    pml_tensor x = tt_make(PML_FLOAT32, 4, d, NULL);
    pml_tensor *in[1] = {&x};
    pml_attr pool_neg[2] = {attr_ints("kernel", k2, 2), attr_ints("strides", neg, 2)};
    expect_refused("MaxPool strides [1,-1]", PML_ERR_INVALID_MODEL, PML_OP_MAXPOOL, pool_neg, 2, in, 1, 1, "strides");
    pml_attr pool_zero[1] = {attr_ints("kernel", zero, 2)};
    expect_refused("MaxPool kernel [0,2]", PML_ERR_INVALID_MODEL, PML_OP_MAXPOOL, pool_zero, 1, in, 1, 1, "kernel");
    int64_t pads[8] = {0};
    pml_attr pad_mode[2] = {attr_ints("pads", pads, 8), attr_int("mode", 9)};
    expect_refused("Pad mode 9", PML_ERR_UNSUPPORTED, PML_OP_PAD, pad_mode, 2, in, 1, 1, "mode 9");
    pml_attr d2s[2] = {attr_int("blocksize", 1), attr_int("mode", 5)};
    expect_refused("DepthToSpace mode 5", PML_ERR_INVALID_MODEL, PML_OP_DEPTHTOSPACE, d2s, 2, in, 1, 1, "mode 5");
    pml_attr d2s_bs = attr_int("blocksize", 0);
    expect_refused("DepthToSpace blocksize 0", PML_ERR_INVALID_MODEL, PML_OP_DEPTHTOSPACE, &d2s_bs, 1, in, 1, 1,
                   "blocksize");
    tt_free(&x);
}

int main(void) {
    test_flags();
    test_windows_and_enums();
    return test_finish("test_attr_domains");
}
