/*
 * model_verify_control.c — the loader's checks of control flow (after model_verify.c has
 * checked every graph on its own): each If/Loop/While node names the subgraphs its op
 * needs, and their inputs and outputs match what the node passes and produces in count
 * and dtype (and rank where the node's outputs are the subgraph's); state ops live only
 * in the main graph; subgraphs nest at most PML_MAX_SUBGRAPH_DEPTH deep, and the nodes a
 * session would build (each subgraph once per node running it) stay under
 * PML_MAX_EXPANDED_NODES, so a small file cannot ask for exponentially many sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_load.h"
#include "op_schema.h"
#include "pml_limits.h"

/* The subgraph behind graph attribute `name`, or an error naming the node. */
static pml_status graph_attr(const pml_node *n, const char *name, const pml_model **g) {
    const pml_attr *a = pml_attr_find(n, name);
    if (!a || a->type != PML_ATTR_GRAPH)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "needs graph attribute '%s'", name);
    *g = a->graph;
    return PML_OK;
}

static const pml_tensor *tensor_at(const pml_model *g, const int *list, int k) { return &g->tensors[list[k]]; }

/* Subgraph g's input k (role `what`) takes the node's tensor t: same dtype. */
static pml_status same_dtype(const pml_node *n, const char *what, const char *io, int k, const pml_tensor *sub,
                             const pml_tensor *t) {
    if (!t || sub->dtype == t->dtype) return PML_OK;
    return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "%s %s %d ('%s') is %s but the node's is %s ('%s')", what,
                                io, k, sub->name, pml_dtype_name(sub->dtype), pml_dtype_name(t->dtype), t->name);
}

/* A node output produced by subgraph output `sub`: same dtype and rank. */
static pml_status same_output(const pml_node *n, const char *what, int k, const pml_tensor *sub,
                              const pml_tensor *out, int stacked) {
    pml_status s = same_dtype(n, what, "output", k, sub, out);
    if (s == PML_OK && out->rank != sub->rank + stacked)
        s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "output '%s' has rank %d but %s output %d ('%s') gives "
                                 "rank %d%s", out->name, out->rank, what, k, sub->name, sub->rank + stacked,
                                 stacked ? " once stacked over the iterations" : "");
    return s;
}

/* If(cond, inputs...): each branch takes the inputs and gives the node's outputs. */
static pml_status check_if(const pml_model *m, const pml_node *n) {
    static const char *const names[2] = {"then_branch", "else_branch"};
    for (int b = 0; b < 2; b++) {
        const pml_model *g = NULL;
        pml_status s = graph_attr(n, names[b], &g);
        if (s != PML_OK) return s;
        if (g->n_inputs != n->n_inputs - 1 || g->n_outputs != n->n_outputs)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "%s takes %d inputs and gives %d outputs; the "
                                        "node passes %d and has %d", names[b], g->n_inputs, g->n_outputs,
                                        n->n_inputs - 1, n->n_outputs);
        for (int k = 0; k < g->n_inputs && s == PML_OK; k++) {
            if (n->inputs[k + 1] < 0)
                return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "input %d is absent; only cond is required, "
                                            "but every value passed to the branches must be present", k + 1);
            s = same_dtype(n, names[b], "input", k, tensor_at(g, g->inputs, k), &m->tensors[n->inputs[k + 1]]);
        }
        for (int k = 0; k < g->n_outputs && s == PML_OK; k++)
            s = same_output(n, names[b], k, tensor_at(g, g->outputs, k), &m->tensors[n->outputs[k]], 0);
        if (s != PML_OK) return s;
    }
    return PML_OK;
}

/* Loop(M?, cond?, values...): body(iteration, cond, values...) -> (cond, carried..., scans...). */
static pml_status check_loop(const pml_model *m, const pml_node *n) {
    const pml_model *g = NULL;
    pml_status s = graph_attr(n, "body", &g);
    if (s != PML_OK) return s;
    int n_values = n->n_inputs > 2 ? n->n_inputs - 2 : 0;
    int64_t n_carried = pml_attr_int(n, "n_carried", 0);
    if (n_carried < 0 || n_carried > n_values)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "n_carried is %lld but the node passes %d values",
                                    (long long)n_carried, n_values);
    if (g->n_inputs != 2 + n_values || g->n_outputs < 1 + n_carried ||
        n->n_outputs > g->n_outputs - 1)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "body takes %d inputs and gives %d outputs; the node "
                                    "passes 2 + %d values (%lld carried) and has %d outputs", g->n_inputs,
                                    g->n_outputs, n_values, (long long)n_carried, n->n_outputs);
    const pml_tensor *it = tensor_at(g, g->inputs, 0), *c_in = tensor_at(g, g->inputs, 1);
    const pml_tensor *c_out = tensor_at(g, g->outputs, 0);
    if (it->dtype != PML_INT64 || c_in->dtype != PML_BOOL || c_out->dtype != PML_BOOL)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "body's iteration input must be int64 and its "
                                    "condition input and output bool (got %s, %s, %s)", pml_dtype_name(it->dtype),
                                    pml_dtype_name(c_in->dtype), pml_dtype_name(c_out->dtype));
    for (int k = 0; k < n_values && s == PML_OK; k++)
        s = same_dtype(n, "body", "input", 2 + k, tensor_at(g, g->inputs, 2 + k),
                       n->inputs[2 + k] >= 0 ? &m->tensors[n->inputs[2 + k]] : NULL);
    for (int k = 0; k < n_carried && s == PML_OK; k++) /* carried: same dtype in and out of the body */
        s = same_dtype(n, "body", "output", 1 + k, tensor_at(g, g->outputs, 1 + k), tensor_at(g, g->inputs, 2 + k));
    for (int k = 0; k < n->n_outputs && s == PML_OK; k++)
        s = same_output(n, "body", 1 + k, tensor_at(g, g->outputs, 1 + k), &m->tensors[n->outputs[k]],
                        k >= n_carried);
    for (int k = n_carried; k < n_values && s == PML_OK; k++)
        if (n->inputs[2 + k] < 0)
            s = pml_model_node_error(n, PML_ERR_INVALID_MODEL, "value %d is absent; only carried values may be", k);
    return s;
}

/* While(values...): cond(values) -> bool, body(values) -> values; outputs the final values. */
static pml_status check_while(const pml_model *m, const pml_node *n) {
    const pml_model *c = NULL, *b = NULL;
    pml_status s = graph_attr(n, "cond", &c);
    if (s == PML_OK) s = graph_attr(n, "body", &b);
    if (s != PML_OK) return s;
    if (c->n_inputs != n->n_inputs || c->n_outputs != 1 || tensor_at(c, c->outputs, 0)->dtype != PML_BOOL)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "cond must take the node's %d values and give one bool "
                                    "(it takes %d and gives %d)", n->n_inputs, c->n_inputs, c->n_outputs);
    if (b->n_inputs != n->n_inputs || b->n_outputs != n->n_inputs || n->n_outputs != n->n_inputs)
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "body must take and give the node's %d values, and the "
                                    "node output them all (body takes %d, gives %d; the node has %d outputs)",
                                    n->n_inputs, b->n_inputs, b->n_outputs, n->n_outputs);
    for (int k = 0; k < n->n_inputs && s == PML_OK; k++) {
        const pml_tensor *t = n->inputs[k] >= 0 ? &m->tensors[n->inputs[k]] : NULL;
        if (!t) return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "value %d is absent", k);
        s = same_dtype(n, "cond", "input", k, tensor_at(c, c->inputs, k), t);
        if (s == PML_OK) s = same_dtype(n, "body", "input", k, tensor_at(b, b->inputs, k), t);
        if (s == PML_OK) s = same_output(n, "body", k, tensor_at(b, b->outputs, k), &m->tensors[n->outputs[k]], 0);
    }
    return s;
}

/* One graph's nodes: graph attributes only on control-flow ops, which get their checks;
 * no state ops in a subgraph. */
static pml_status check_nodes(const pml_model *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        const pml_node *n = &g->nodes[i];
        const pml_op_schema *sc = pml_op_schema_get(n->op);
        int control = (sc->traits & PML_TRAIT_CONTROL_FLOW) != 0;
        for (int k = 0; k < n->n_attrs; k++)
            if (n->attrs[k].type == PML_ATTR_GRAPH && !control)
                return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "attribute '%s' is a graph, but only control "
                                            "flow ops (If, Loop, While) take graphs", n->attrs[k].name);
        if (g->subgraph_index >= 0 && (n->op == PML_OP_VARIABLE || n->op == PML_OP_VARIABLEASSIGN))
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "state (Variable, VariableAssign) lives in the "
                                        "main graph; subgraph %d has it", g->subgraph_index);
        pml_status s = PML_OK;
        if (n->op == PML_OP_IF) s = check_if(g, n);
        else if (n->op == PML_OP_LOOP) s = check_loop(g, n);
        else if (n->op == PML_OP_WHILE) s = check_while(g, n);
        if (s != PML_OK) return s;
    }
    return PML_OK;
}

/* Depth and expanded node count of graph g from those of the subgraphs it names (all after it). */
static pml_status measure(const pml_model *g, const int *depth, const uint64_t *nodes, int *g_depth,
                          uint64_t *g_nodes) {
    int d = 1;
    uint64_t total = (uint64_t)g->n_nodes;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_attrs; k++) {
            const pml_attr *a = &g->nodes[i].attrs[k];
            if (a->type != PML_ATTR_GRAPH) continue;
            if (depth[a->i] + 1 > d) d = depth[a->i] + 1;
            total += nodes[a->i]; /* each <= the limit: no wrap */
            if (total > PML_MAX_EXPANDED_NODES) break;
        }
    *g_depth = d;
    *g_nodes = total;
    if (d > PML_MAX_SUBGRAPH_DEPTH)
        return pml_model_error("subgraphs nest %d deep; this runtime supports at most %d", d, PML_MAX_SUBGRAPH_DEPTH);
    if (total > PML_MAX_EXPANDED_NODES)
        return pml_model_error("running this graph would build more than %d nodes (its subgraphs once per node "
                               "running them); this runtime supports at most that many", PML_MAX_EXPANDED_NODES);
    return PML_OK;
}

pml_status pml_model_verify_control(const pml_model *m) {
    pml_status s = check_nodes(m);
    for (int k = 0; k < m->n_subgraphs && s == PML_OK; k++) s = check_nodes(&m->subgraphs[k]);
    if (s != PML_OK || m->n_subgraphs == 0) return s;
    int *depth = calloc((size_t)m->n_subgraphs, sizeof *depth);
    uint64_t *nodes = calloc((size_t)m->n_subgraphs, sizeof *nodes);
    if (!depth || !nodes) s = pml_model_oom("subgraph check");
    /* a graph names only later subgraphs: measure from the last one back */
    for (int k = m->n_subgraphs - 1; k >= 0 && s == PML_OK; k--)
        s = measure(&m->subgraphs[k], depth, nodes, &depth[k], &nodes[k]);
    int d;
    uint64_t total;
    if (s == PML_OK) s = measure(m, depth, nodes, &d, &total);
    free(depth);
    free(nodes);
    return s;
}
