/*
 * model_verify.c — the meaning of a decoded graph (the last steps of model.c's order of
 * trust): single producers, topological order, graph inputs and outputs, then that
 * every op is implemented by this build with an arity its schema accepts. Structural
 * checks come first so a malformed file is reported as malformed even by a build
 * missing some kernels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "model_load.h"

/* Meaning of the graph: producers, topological order, inputs and outputs. */
static pml_status check_graph(const pml_model *m) {
    pml_status s = PML_OK;
    int *producer = malloc(sizeof(int) * (size_t)(m->n_tensors ? m->n_tensors : 1));
    char *avail = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), 1);
    if (!producer || !avail) {
        s = pml_model_oom("graph check");
        goto done;
    }
    for (int t = 0; t < m->n_tensors; t++) producer[t] = -1, avail[t] = (char)m->tensors[t].is_const;
    for (int i = 0; i < m->n_inputs; i++) {
        const pml_tensor *t = &m->tensors[m->inputs[i]];
        if (t->is_const) {
            s = pml_model_error("graph input %d ('%s') is a constant; inputs are fed at run time", i, t->name);
            goto done;
        }
        avail[m->inputs[i]] = 1;
    }
    for (int i = 0; i < m->n_nodes && s == PML_OK; i++) {
        const pml_node *n = &m->nodes[i];
        for (int k = 0; k < n->n_outputs && s == PML_OK; k++) {
            int t = n->outputs[k];
            const char *tn = m->tensors[t].name;
            if (m->tensors[t].is_const)
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') is a constant tensor", k, tn);
            else if (producer[t] >= 0)
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') is also produced by node '%s'", k, tn,
                               m->nodes[producer[t]].name);
            else if (avail[t])
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') overwrites a graph input", k, tn);
            else producer[t] = i;
        }
    }
    for (int i = 0; i < m->n_nodes && s == PML_OK; i++) {
        const pml_node *n = &m->nodes[i];
        for (int k = 0; k < n->n_inputs && s == PML_OK; k++) {
            int t = n->inputs[k];
            if (t < 0 || avail[t]) continue;
            if (producer[t] >= 0)
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL,
                               "input %d ('%s') is produced later by node '%s' (#%d): nodes are not in topological order",
                               k, m->tensors[t].name, m->nodes[producer[t]].name, producer[t]);
            else
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL,
                               "input %d ('%s') is never produced (not a graph input, a constant or a node output)", k,
                               m->tensors[t].name);
        }
        for (int k = 0; k < n->n_outputs; k++) avail[n->outputs[k]] = 1;
    }
    for (int i = 0; i < m->n_outputs && s == PML_OK; i++) {
        int t = m->outputs[i];
        if (m->tensors[t].is_const)
            s = pml_model_error("graph output %d ('%s') is a constant; outputs must be computed by nodes or be inputs", i,
                            m->tensors[t].name);
        else if (!avail[t])
            s = pml_model_error("graph output %d ('%s') is never produced by a node and is not a graph input", i,
                            m->tensors[t].name);
    }
done:
    free(producer);
    free(avail);
    return s;
}

/* Every op implemented by this build, with an arity its schema accepts. */
static pml_status check_ops(const pml_model *m) {
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        const pml_op_schema *op = pml_op_schema_get(n->op);
        if (!op || !pml_op_lookup(n->op))
            return pml_model_node_error(n, PML_ERR_UNSUPPORTED, "op %s (code %d) is not implemented by this runtime build",
                              pml_op_name(n->op), n->op);
        if (n->n_inputs < op->min_inputs || n->n_inputs > op->max_inputs)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "has %d inputs; %s takes %d to %d", n->n_inputs, op->name,
                              op->min_inputs, op->max_inputs);
        if (n->n_outputs < op->min_outputs || n->n_outputs > op->max_outputs)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "has %d outputs; %s produces %d to %d", n->n_outputs,
                              op->name, op->min_outputs, op->max_outputs);
        for (int k = 0; k < op->min_inputs; k++)
            if (n->inputs[k] < 0)
                return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "required input %d is absent (%s requires inputs 0..%d)", k,
                                  op->name, op->min_inputs - 1);
    }
    return PML_OK;
}

/* State: a VariableAssign writes a Variable's output, of a constant initial value, and
 * comes after every other reader of that variable (so every read of a run sees the
 * value the run started with); one assignment per variable, never a graph output.
 * Two passes over the nodes (check_graph has made producers unique). */
static pml_status check_state(const pml_model *m) {
    size_t n = (size_t)(m->n_tensors ? m->n_tensors : 1);
    int *producer = malloc(sizeof(int) * n), *assigned_at = malloc(sizeof(int) * n);
    pml_status s = PML_OK;
    if (!producer || !assigned_at) {
        s = pml_model_oom("state check");
        goto done;
    }
    for (int t = 0; t < m->n_tensors; t++) producer[t] = assigned_at[t] = -1;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_outputs; k++) producer[m->nodes[i].outputs[k]] = i;
    for (int i = 0; i < m->n_nodes && s == PML_OK; i++) {
        const pml_node *n = &m->nodes[i];
        if (n->op == PML_OP_VARIABLE && !m->tensors[n->inputs[0]].is_const)
            s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "the initial value must be a constant");
        if (n->op != PML_OP_VARIABLEASSIGN || s != PML_OK) continue;
        int v = n->inputs[0];
        if (producer[v] < 0 || m->nodes[producer[v]].op != PML_OP_VARIABLE)
            s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "input 0 ('%s') is not a Variable's output",
                                     m->tensors[v].name);
        else if (assigned_at[v] >= 0)
            s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "assigns variable '%s' a second time (node '%s' did)",
                                     m->tensors[v].name, m->nodes[assigned_at[v]].name);
        for (int k = 0; k < m->n_outputs && s == PML_OK; k++)
            if (m->outputs[k] == v)
                s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "variable '%s' is a graph output; the "
                                         "assignment would change it after the run: output a copy",
                                         m->tensors[v].name);
        assigned_at[v] = i;
    }
    for (int j = 0; j < m->n_nodes && s == PML_OK; j++)
        for (int k = 0; k < m->nodes[j].n_inputs && s == PML_OK; k++) {
            int t = m->nodes[j].inputs[k];
            if (t >= 0 && assigned_at[t] >= 0 && j > assigned_at[t])
                s = pml_model_node_error(&m->nodes[j], PML_ERR_INVALID_MODEL,
                                         "reads variable '%s' after node '%s' assigned it", m->tensors[t].name,
                                         m->nodes[assigned_at[t]].name);
        }
done:
    free(producer);
    free(assigned_at);
    return s;
}

pml_status pml_model_verify(const pml_model *m) {
    pml_status s = check_graph(m);
    if (s == PML_OK) s = check_ops(m);
    if (s == PML_OK) s = check_state(m);
    for (int k = 0; k < m->n_subgraphs && s == PML_OK; k++) {
        s = check_graph(&m->subgraphs[k]);
        if (s == PML_OK) s = check_ops(&m->subgraphs[k]);
        if (s != PML_OK) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", pml_last_error());
            s = pml_set_error(s, "subgraph %d ('%s'): %s", k, m->subgraphs[k].graph_name, msg);
        }
    }
    return s == PML_OK ? pml_model_verify_control(m) : s; /* model_verify_control.c */
}
