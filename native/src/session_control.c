/*
 * session_control.c — the calls through which control-flow ops (ops/control*.c) drive the
 * child sessions the session built for their subgraphs (session.c: build_children). A
 * child is an ordinary session over a subgraph view of the model: it keeps its own plan
 * cache (one plan per input-shape signature, like any session), its own arena and op
 * state, and shares its parent's kernels and thread pool.
 *
 * Inputs are copied into the child (its graph inputs live in its arena and are consumed
 * by its run, like any session's); outputs are read in place from the child's arena, valid
 * until the child plans or runs again, which only its own node makes it do.
 */
#include <string.h>

#include "session_plan.h"

/* Shapes first, then the values that fix shapes (staged by copy_input), as the API asks. */
static pml_status set_shapes(pml_session *child, pml_tensor *const *in, int n_in) {
    if (n_in != child->model->n_inputs)
        return pml_set_error(PML_ERR_INTERNAL, "a subgraph takes %d inputs, given %d", child->model->n_inputs, n_in);
    for (int k = 0; k < n_in; k++) {
        pml_status st = pml_session_set_shape(child, k, in[k]->rank, in[k]->dims);
        if (st != PML_OK) return st;
    }
    return PML_OK;
}

static pml_status sub_plan(pml_subgraph *g, pml_tensor *const *in, int n_in) {
    pml_session *child = (pml_session *)g;
    pml_status st = set_shapes(child, in, n_in);
    for (int k = 0; k < n_in && st == PML_OK; k++) {
        if (!child->plan_input[k]) continue;
        const void *v = pml_tensor_known_value(in[k]);
        if (!v && in[k]->nbytes)
            return pml_set_error(PML_ERR_SHAPE, "input '%s' fixes the subgraph's shapes and is known only at run time",
                                 in[k]->name);
        st = pml_session_copy_input(child, k, v, in[k]->nbytes);
    }
    return st == PML_OK ? pml_session_ensure_plan(child) : st;
}

static pml_status sub_run(pml_subgraph *g, pml_tensor *const *in, int n_in) {
    pml_session *child = (pml_session *)g;
    pml_status st = set_shapes(child, in, n_in);
    for (int pass = 0; pass < 2 && st == PML_OK; pass++) /* values that fix shapes first */
        for (int k = 0; k < n_in && st == PML_OK; k++)
            if (child->plan_input[k] == (pass == 0))
                st = pml_session_copy_input(child, k, in[k]->data, in[k]->nbytes);
    return st == PML_OK ? pml_session_execute(child) : st;
}

static const pml_tensor *sub_output(const pml_subgraph *g, int k) {
    const pml_session *child = (const pml_session *)g;
    return &child->tensors[child->model->outputs[k]];
}

static int sub_shapes_vary(const pml_subgraph *g) { return ((const pml_session *)g)->data_dependent; }

static const pml_tensor *sub_declared_output(const pml_subgraph *g, int k) {
    const pml_model *m = ((const pml_session *)g)->model;
    return &m->tensors[m->outputs[k]];
}

static const pml_tensor *sub_declared_input(const pml_subgraph *g, int k) {
    const pml_model *m = ((const pml_session *)g)->model;
    return &m->tensors[m->inputs[k]];
}

const pml_subgraph_calls pml_session_subgraph_calls = {sub_plan,        sub_run,
                                                       sub_output,      sub_shapes_vary,
                                                       sub_declared_output, sub_declared_input};
