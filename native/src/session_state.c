/*
 * session_state.c — the session's state memory: one block per Variable node, outside the
 * arena and the plans, holding the variable's value between runs (ops/state.c). It is
 * filled from the Variable's constant initial value at session creation and by
 * pml_session_reset_state; VariableAssign writes the next value into it at the end of
 * a run. Plans point the Variable's output at it (session_plan.c).
 */
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "session_memory.h"
#include "session_state.h"

pml_status pml_session_state_create(pml_session *s) {
    const pml_model *m = s->model;
    for (int i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].op != PML_OP_VARIABLE) continue;
        if (!s->state_mem && !(s->state_mem = calloc((size_t)m->n_nodes + 1, sizeof *s->state_mem)))
            return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory creating the session's state");
        const pml_tensor *init = &m->tensors[m->nodes[i].inputs[0]];
        char what[512];
        snprintf(what, sizeof what, "variable '%s'", m->tensors[m->nodes[i].outputs[0]].name);
        pml_status st = pml_mem_charge(s, init->nbytes, what);
        if (st != PML_OK) return st;
        s->held += init->nbytes;
        s->state_mem[i] = pml_aligned_malloc(init->nbytes ? init->nbytes : 1); /* filled by reset below */
        if (!s->state_mem[i])
            return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory for variable '%s' (%zu bytes)",
                                 m->tensors[m->nodes[i].outputs[0]].name, init->nbytes);
        s->state_bytes += init->nbytes; /* each a constant's bytes: bounded by the file */
    }
    pml_session_state_reset(s);
    return PML_OK;
}

void pml_session_state_reset(pml_session *s) {
    const pml_model *m = s->model;
    for (int i = 0; s->state_mem && i < m->n_nodes; i++) {
        if (!s->state_mem[i]) continue; /* not a Variable */
        const pml_tensor *init = &m->tensors[m->nodes[i].inputs[0]];
        if (init->nbytes) memcpy(s->state_mem[i], init->data, init->nbytes);
    }
}

void pml_session_state_free(pml_session *s) {
    if (!s->state_mem) return;
    for (int i = 0; i < s->model->n_nodes; i++) pml_aligned_free(s->state_mem[i]);
    free(s->state_mem);
    s->state_mem = NULL;
}
