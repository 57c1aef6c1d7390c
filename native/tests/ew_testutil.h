/*
 * ew_testutil.h — helpers shared by the elementwise/norm/tensor/reduce
 * tests on top of testutil.h: tensors from literal values, running one op
 * with the reference kernels, the best ISA and two threads, and comparing
 * the three runs.
 */
#ifndef PML_EW_TESTUTIL_H
#define PML_EW_TESTUTIL_H

#include "testutil.h"

/* A non-constant tensor holding a copy of vals (NULL: zero-filled). */
static pml_tensor tt_make(pml_dtype dtype, int rank, const int64_t *dims, const void *vals) {
    pml_tensor t = test_tensor(dtype, rank, dims, 0);
    if (vals && t.nbytes) memcpy(t.data, vals, t.nbytes);
    return t;
}

static pml_tensor tt_rand(int rank, const int64_t *dims, float lo, float hi) {
    pml_tensor t = test_tensor(PML_FLOAT32, rank, dims, 0);
    test_fill((float *)t.data, t.nbytes / 4, lo, hi);
    return t;
}

static void tt_free(pml_tensor *t) {
    pml_aligned_free(t->data);
    t->data = NULL;
}

/* Runs op with the reference kernels on one thread; output in *out. */
static pml_status tt_ref(int op, const pml_attr *attrs, int n_attrs, pml_tensor **in, int n_in, pml_tensor *out) {
    return pml_test_op(op, attrs, n_attrs, in, n_in, out, 1, 1, 1);
}

static int tt_same_bytes(const pml_tensor *a, const pml_tensor *b) {
    return a->nbytes == b->nbytes && a->rank == b->rank && a->dtype == b->dtype &&
           (a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
}

/*
 * Runs op three ways (reference 1 thread, best ISA 1 thread, best ISA 2
 * threads) and checks that the optimised runs match the reference to
 * rtol/atol (float32 outputs) or bit for bit (other dtypes, or rtol < 0).
 * The reference output is left in *ref_out (caller frees) when non-NULL.
 */
static void tt_check_isa(const char *what, int op, const pml_attr *attrs, int n_attrs, pml_tensor **in, int n_in,
                         float rtol, float atol, pml_tensor *ref_out) {
    pml_tensor ref, best, par;
    pml_status s = tt_ref(op, attrs, n_attrs, in, n_in, &ref);
    CHECK_OK(s);
    if (s != PML_OK) {
        fprintf(stderr, "  (%s)\n", what);
        return;
    }
    CHECK_OK(pml_test_op(op, attrs, n_attrs, in, n_in, &best, 1, 0, 1));
    CHECK_OK(pml_test_op(op, attrs, n_attrs, in, n_in, &par, 1, 0, 2));
    size_t n = ref.nbytes / 4;
    if (ref.dtype == PML_FLOAT32 && rtol >= 0) {
        int ok1 = best.nbytes == ref.nbytes && test_allclose(best.data, ref.data, n, rtol, atol, what);
        int ok2 = par.nbytes == ref.nbytes && test_allclose(par.data, ref.data, n, rtol, atol, what);
        CHECK(ok1);
        CHECK(ok2);
    } else {
        int ok1 = tt_same_bytes(&best, &ref), ok2 = tt_same_bytes(&par, &ref);
        if (!ok1 || !ok2) fprintf(stderr, "%s: optimised output differs from the reference\n", what);
        CHECK(ok1);
        CHECK(ok2);
    }
    tt_free(&best);
    tt_free(&par);
    if (ref_out) *ref_out = ref;
    else tt_free(&ref);
}

/* The op must fail in infer/prepare/run with the given status. */
static void tt_expect_error(const char *what, pml_status want, int op, const pml_attr *attrs, int n_attrs,
                            pml_tensor **in, int n_in, int n_out) {
    pml_tensor out[8];
    pml_status s = pml_test_op(op, attrs, n_attrs, in, n_in, out, n_out, 1, 1);
    if (s != want) fprintf(stderr, "%s: expected status %s, got %s (%s)\n", what, pml_status_string(want),
                           pml_status_string(s), pml_last_error());
    CHECK(s == want);
    for (int i = 0; i < n_out; i++) pml_aligned_free(out[i].data);
}

/* Element offset of flat output index i in an input of rank ra (dims da)
 * broadcast to the output (ry, dy): the naive oracle of broadcasting tests. */
static int64_t tt_bcast_offset(int64_t i, int ry, const int64_t *dy, int ra, const int64_t *da) {
    int64_t off = 0, stride = 1;
    for (int d = ry - 1; d >= 0; d--) {
        int64_t c = i % dy[d];
        i /= dy[d];
        int k = d - (ry - ra);
        if (k >= 0) {
            if (da[k] != 1) off += c * stride;
            stride *= da[k];
        }
    }
    return off;
}

static int tt_shape_is(const pml_tensor *t, int rank, const int64_t *dims) {
    if (t->rank != rank) return 0;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return 0;
    return 1;
}

/* ---- tensor helpers shared by the data-movement, index, reduce and resize tests ---- */

static inline int64_t numel(int r, const int64_t *d) { return pml_shape_numel(r, d); }

/* fills 4-byte elements with their own index (float or int) */
static inline pml_tensor iota(pml_dtype dt, int rank, const int64_t *dims) {
    pml_tensor t = tt_make(dt, rank, dims, NULL);
    int64_t n = numel(rank, dims);
    for (int64_t i = 0; i < n; i++) {
        switch (dt) {
        case PML_FLOAT32: ((float *)t.data)[i] = (float)i; break;
        case PML_INT64: ((int64_t *)t.data)[i] = i * 1000003; break;
        case PML_INT32: ((int32_t *)t.data)[i] = (int32_t)i; break;
        case PML_FLOAT16: ((uint16_t *)t.data)[i] = (uint16_t)i; break;
        default: ((uint8_t *)t.data)[i] = (uint8_t)(i * 7); break;
        }
    }
    return t;
}

static inline pml_tensor t_i64(int rank, const int64_t *dims, const int64_t *vals, int known) {
    pml_tensor t = tt_make(PML_INT64, rank, dims, vals);
    t.value_known = known;
    return t;
}

static inline int64_t *as_i64(const pml_tensor *t) { return (int64_t *)t->data; }
static inline float *as_f32(const pml_tensor *t) { return (float *)t->data; }

#endif
