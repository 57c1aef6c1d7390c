/*
 * model_decode.c — decodes the FlatBuffer graph section of a verified-header .pml file
 * into the model's tensors, nodes, attributes, inputs, outputs and metadata, through
 * the bounds-checked reader (fb_reader.c): steps (4) and (5) of model.c's order of
 * trust, up to the graph checks of model_verify.c. Every array lives in the model's
 * pool; copied attribute/index arrays are charged against a budget so a small hostile
 * file cannot decode quadratically.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_reader.h"
#include "model_load.h"

/* Limits that keep every later size computation far from overflow. */
#include "pml_limits.h" /* PML_MAX_TENSORS, PML_MAX_NODES, PML_MAX_TENSOR_BYTES */

/* FlatBuffers field ids (schema order in native/schema/pml.fbs). */
enum { F_MODEL_VERSION, F_MODEL_PRODUCER, F_MODEL_GRAPH, F_MODEL_BUFFERS, F_MODEL_METADATA, F_MODEL_SUBGRAPHS };
enum { F_BUFFER_OFFSET, F_BUFFER_SIZE };
enum { F_TENSOR_NAME, F_TENSOR_DTYPE, F_TENSOR_SHAPE, F_TENSOR_DIM_NAMES, F_TENSOR_BUFFER, F_TENSOR_QUANTIZATION };
enum { F_ATTR_NAME, F_ATTR_TYPE, F_ATTR_I, F_ATTR_F, F_ATTR_INTS, F_ATTR_FLOATS, F_ATTR_S };
enum { F_NODE_NAME, F_NODE_OP, F_NODE_INPUTS, F_NODE_OUTPUTS, F_NODE_ATTRS };
enum { F_GRAPH_NAME, F_GRAPH_TENSORS, F_GRAPH_NODES, F_GRAPH_INPUTS, F_GRAPH_OUTPUTS };
enum { F_META_KEY, F_META_VALUE };

typedef struct decoder {
    pml_model *m; /* the model: pool, copy budget, weights, subgraph views */
    pml_model *g; /* the graph being decoded: the model itself or one of its subgraph views */
    pml_fb fb;
    pml_fb_vec buffers;
    int n_buffers;
} decoder;

static pml_status decode_tensor(decoder *d, const pml_fb_table *t, int index) {
    pml_model *m = d->m;
    pml_tensor *tensor = &d->g->tensors[index];
    pml_fb *fb = &d->fb;
    const char *name = pml_fb_string_field(fb, t, F_TENSOR_NAME, "name");
    uint8_t dtype = pml_fb_u8(fb, t, F_TENSOR_DTYPE, "dtype", 0);
    pml_fb_vec shape, dim_names;
    int has_shape = pml_fb_vec_field(fb, t, F_TENSOR_SHAPE, "shape", 8, &shape);
    int has_dim_names = pml_fb_vec_field(fb, t, F_TENSOR_DIM_NAMES, "dim_names", 4, &dim_names);
    int32_t buffer = pml_fb_i32(fb, t, F_TENSOR_BUFFER, "buffer", -1);
    if (fb->status) return fb->status;
    if (!name || !name[0]) return pml_model_error("tensor %d has no name", index);
    tensor->name = name;
    size_t esize = pml_dtype_size((pml_dtype)dtype);
    if (esize == 0)
        return pml_model_error("tensor %d ('%s') has unknown dtype code %u (known: 1 float32 .. %d %s)", index, name,
                           dtype, PML_DTYPE_COUNT - 1, pml_dtype_name((pml_dtype)(PML_DTYPE_COUNT - 1)));
    tensor->dtype = (pml_dtype)dtype;
    uint32_t rank = has_shape ? shape.len : 0;
    if (rank > PML_MAX_RANK)
        return pml_model_error("tensor %d ('%s') has rank %u; this runtime supports rank <= %d", index, name, rank,
                           PML_MAX_RANK);
    tensor->rank = (int)rank;
    int empty = 0, symbolic = 0;
    for (uint32_t i = 0; i < rank; i++) {
        int64_t dim = pml_fb_vec_i64(fb, &shape, i);
        if (dim < -1) return pml_model_error("tensor %d ('%s'): dim %u is %lld (must be >= 0, or -1 for a symbolic dim)",
                                         index, name, i, (long long)dim);
        tensor->dims[i] = dim;
        empty |= dim == 0;
        symbolic |= dim == -1;
    }
    if (symbolic && buffer != -1)
        return pml_model_error("constant tensor %d ('%s') has a symbolic dim (-1); constants must have static shapes",
                           index, name);
    /* numel * esize <= 2^48, checked before each multiplication so nothing wraps;
     * a tensor with symbolic dims has no size until a session plans concrete shapes */
    uint64_t numel = empty || symbolic ? 0 : 1, limit = PML_MAX_TENSOR_BYTES / esize;
    for (uint32_t i = 0; i < rank && numel; i++) {
        if ((uint64_t)tensor->dims[i] > limit / numel) {
            char buf[256];
            return pml_model_error("tensor %d ('%s') with shape %s of %s is larger than the %llu bytes this runtime "
                               "supports",
                               index, name, pml_shape_str(tensor->rank, tensor->dims, buf, sizeof buf),
                               pml_dtype_name(tensor->dtype), (unsigned long long)PML_MAX_TENSOR_BYTES);
        }
        numel *= (uint64_t)tensor->dims[i];
    }
    tensor->nbytes = (size_t)(numel * esize);
    if (has_dim_names) {
        if (dim_names.len != 0 && dim_names.len != rank)
            return pml_model_error("tensor %d ('%s') has %u dim_names for rank %u (expected 0 or %u)", index, name,
                               dim_names.len, rank, rank);
        for (uint32_t i = 0; i < dim_names.len; i++)
            if (!pml_fb_vec_string(fb, &dim_names, i)) return fb->status;
        if (symbolic && dim_names.len) {
            /* names of symbolic dims ("" for fixed ones), kept for pml_session_input_dim_name */
            const char **names = pml_model_pool_array(m, rank, sizeof(char *));
            if (!names) return pml_model_oom("dim names");
            for (uint32_t i = 0; i < rank; i++) names[i] = pml_fb_vec_string(fb, &dim_names, i);
            d->g->dim_names[index] = names;
        }
    }
    pml_fb_table quant;
    if (pml_fb_table_field(fb, t, F_TENSOR_QUANTIZATION, "quantization", "quantization", &quant)) {
        pml_status s = pml_model_decode_quant(m, fb, &quant, tensor, index); /* model_quant.c */
        if (s != PML_OK) return s;
    }
    if (fb->status) return fb->status;
    if (buffer == -1) return PML_OK;
    if (buffer < -1 || buffer >= d->n_buffers)
        return pml_model_error("tensor %d ('%s') refers to buffer %d but the model has %d buffers", index, name, buffer,
                           d->n_buffers);
    pml_fb_table b;
    if (!pml_fb_vec_table(fb, &d->buffers, (uint32_t)buffer, "buffer", &b)) return fb->status;
    uint64_t off = pml_fb_u64(fb, &b, F_BUFFER_OFFSET, "offset", 0);
    uint64_t size = pml_fb_u64(fb, &b, F_BUFFER_SIZE, "size", 0);
    if (fb->status) return fb->status;
    if (off % PML_ALIGN)
        return pml_model_error("buffer %d (tensor '%s') has offset %llu, not a multiple of %d", buffer, name,
                           (unsigned long long)off, PML_ALIGN);
    if (off > m->header.weights_size || size > m->header.weights_size - off)
        return pml_model_error("buffer %d (tensor '%s') [%llu, +%llu bytes) lies outside the %llu-byte weights section",
                           buffer, name, (unsigned long long)off, (unsigned long long)size,
                           (unsigned long long)m->header.weights_size);
    if (size != tensor->nbytes) {
        char buf[256];
        return pml_model_error("buffer %d has %llu bytes but constant tensor '%s' (%s %s) needs %zu", buffer,
                           (unsigned long long)size, name, pml_dtype_name(tensor->dtype),
                           pml_shape_str(tensor->rank, tensor->dims, buf, sizeof buf), tensor->nbytes);
    }
    tensor->is_const = 1;
    tensor->data = (void *)(m->weights + off); /* read-only in practice; pml_tensor has no const member */
    return PML_OK;
}

/* A vector of int32 tensor indices copied into the pool. */
static pml_status decode_indices(decoder *d, const pml_fb_table *t, int id, const char *field, int **out, int *count) {
    pml_fb_vec v;
    *out = NULL;
    *count = 0;
    if (!pml_fb_vec_field(&d->fb, t, id, field, 4, &v)) return d->fb.status;
    if (!pml_model_charge(d->m, (uint64_t)v.len * sizeof(int)))
        return pml_model_error("%s %d: field '%s' makes the decoded graph larger than the file (shared vectors?)", t->kind,
                           t->index, field);
    int *idx = pml_model_pool_array(d->m, v.len, sizeof(int));
    if (!idx) return pml_model_oom(field);
    for (uint32_t i = 0; i < v.len; i++) idx[i] = pml_fb_vec_i32(&d->fb, &v, i);
    *out = idx;
    *count = (int)v.len;
    return PML_OK;
}

static pml_status decode_attr(decoder *d, pml_node *n, const pml_fb_table *t, pml_attr *a) {
    pml_fb *fb = &d->fb;
    a->name = pml_fb_string_field(fb, t, F_ATTR_NAME, "name");
    uint8_t type = pml_fb_u8(fb, t, F_ATTR_TYPE, "type", 0);
    if (fb->status) return fb->status;
    if (!a->name || !a->name[0]) return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "attribute %d has no name", t->index);
    a->type = (pml_attr_type)type;
    pml_fb_vec v;
    switch (type) {
    case PML_ATTR_INT: a->i = pml_fb_i64(fb, t, F_ATTR_I, "i", 0); break;
    case PML_ATTR_GRAPH: {
        a->i = pml_fb_i64(fb, t, F_ATTR_I, "i", 0);
        if (fb->status) return fb->status;
        int self = d->g->subgraph_index;
        if (a->i <= self || a->i >= d->m->n_subgraphs)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL,
                                        "attribute '%s' names subgraph %lld; a graph may name only subgraphs after "
                                        "itself (%d..%d here)",
                                        a->name, (long long)a->i, self + 1, d->m->n_subgraphs - 1);
        a->graph = &d->m->subgraphs[a->i];
        break;
    }
    case PML_ATTR_FLOAT: a->f = pml_fb_f32(fb, t, F_ATTR_F, "f", 0.0f); break;
    case PML_ATTR_STRING: {
        const char *s = pml_fb_string_field(fb, t, F_ATTR_S, "s");
        a->s = s ? s : "";
        break;
    }
    case PML_ATTR_INTS:
    case PML_ATTR_FLOATS: {
        int ints = type == PML_ATTR_INTS;
        size_t esize = ints ? 8 : 4;
        if (!pml_fb_vec_field(fb, t, ints ? F_ATTR_INTS : F_ATTR_FLOATS, ints ? "ints" : "floats", esize, &v)) {
            if (fb->status) return fb->status;
            v.len = 0; /* absent list = empty list */
        }
        if (!pml_model_charge(d->m, (uint64_t)v.len * esize))
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL,
                              "attribute '%s' makes the decoded graph larger than the file (shared vectors?)", a->name);
        void *vals = pml_model_pool_array(d->m, v.len, esize);
        if (!vals) return pml_model_oom("attribute values");
        for (uint32_t i = 0; i < v.len; i++) {
            if (ints) ((int64_t *)vals)[i] = pml_fb_vec_i64(fb, &v, i);
            else ((float *)vals)[i] = pml_fb_vec_f32(fb, &v, i);
        }
        if (ints) a->ints = vals, a->n_ints = (int)v.len;
        else a->floats = vals, a->n_floats = (int)v.len;
        break;
    }
    default:
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "attribute '%s' has unknown type %u (known: 1 int .. 6 graph)",
                          a->name, type);
    }
    return fb->status;
}

static pml_status decode_node(decoder *d, const pml_fb_table *t, int index) {
    pml_model *m = d->m, *g = d->g;
    pml_node *n = &g->nodes[index];
    pml_fb *fb = &d->fb;
    const char *name = pml_fb_string_field(fb, t, F_NODE_NAME, "name");
    uint16_t op = pml_fb_u16(fb, t, F_NODE_OP, "op", 0);
    if (fb->status) return fb->status;
    if (!name || !name[0]) {
        char *gen = pml_model_pool_alloc(m, 24);
        if (!gen) return pml_model_oom("node name");
        snprintf(gen, 24, "#%d", index);
        name = gen;
    }
    n->name = name;
    n->op = op;
    if (op > PML_OP_MAX_CODE || pml_op_name((int)op)[0] == '?') /* a code without an op */
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "node '%s': op code %u is not a known op (a newer pocketml may have written this file)",
                             name, op);
    int *inputs, *outputs, n_in, n_out;
    pml_status s = decode_indices(d, t, F_NODE_INPUTS, "inputs", &inputs, &n_in);
    if (s == PML_OK) s = decode_indices(d, t, F_NODE_OUTPUTS, "outputs", &outputs, &n_out);
    if (s != PML_OK) return s;
    n->inputs = inputs, n->n_inputs = n_in;
    n->outputs = outputs, n->n_outputs = n_out;
    for (int i = 0; i < n_in; i++)
        if (inputs[i] < -1 || inputs[i] >= g->n_tensors)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "input %d refers to tensor %d but the graph has %d tensors", i,
                              inputs[i], g->n_tensors);
    for (int i = 0; i < n_out; i++)
        if (outputs[i] < 0 || outputs[i] >= g->n_tensors)
            return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "output %d refers to tensor %d but the graph has %d tensors", i,
                              outputs[i], g->n_tensors);

    pml_fb_vec attrs;
    if (!pml_fb_vec_field(fb, t, F_NODE_ATTRS, "attrs", 4, &attrs)) return fb->status;
    if (!pml_model_charge(m, (uint64_t)attrs.len * sizeof(pml_attr)))
        return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "attributes make the decoded graph larger than the file (shared vectors?)");
    pml_attr *as = pml_model_pool_array(m, attrs.len, sizeof(pml_attr));
    if (!as) return pml_model_oom("attributes");
    for (uint32_t i = 0; i < attrs.len; i++) {
        pml_fb_table at;
        if (!pml_fb_vec_table(fb, &attrs, i, "attribute", &at)) return fb->status;
        if ((s = decode_attr(d, n, &at, &as[i])) != PML_OK) return s;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(as[j].name, as[i].name) == 0)
                return pml_model_node_error(n, PML_ERR_INVALID_MODEL, "attribute '%s' appears twice", as[i].name);
    }
    n->attrs = as;
    n->n_attrs = (int)attrs.len;
    return PML_OK;
}

/* "graph" or "subgraph k", for messages. */
static const char *graph_label(const pml_model *g) {
    static _Thread_local char buf[32];
    if (g->subgraph_index < 0) return "graph";
    snprintf(buf, sizeof buf, "subgraph %d", g->subgraph_index);
    return buf;
}

/* Graph inputs/outputs: index lists checked for range and duplicates (one mark per
 * tensor, so a graph with many outputs is still linear). */
static pml_status decode_io(decoder *d, const pml_fb_table *g, int id, const char *what, int **out, int *count) {
    pml_status s = decode_indices(d, g, id, what, out, count);
    if (s != PML_OK) return s;
    const pml_model *gm = d->g;
    char *seen = calloc((size_t)(gm->n_tensors ? gm->n_tensors : 1), 1);
    if (!seen) return pml_model_oom("graph interface");
    for (int i = 0; i < *count && s == PML_OK; i++) {
        int t = (*out)[i];
        if (t < 0 || t >= gm->n_tensors)
            s = pml_model_error("%s %s %d refers to tensor %d but the graph has %d tensors", graph_label(gm), what, i,
                                t, gm->n_tensors);
        else if (seen[t]++)
            s = pml_model_error("tensor '%s' is listed twice among the %s %s", gm->tensors[t].name, graph_label(gm),
                                what);
    }
    free(seen);
    return s;
}

/* One Graph table into g (the model itself or a subgraph view): tensors, nodes, inputs, outputs. */
static pml_status decode_graph(decoder *d, const pml_fb_table *graph, pml_model *g) {
    pml_model *m = d->m;
    pml_fb *fb = &d->fb;
    d->g = g;
    g->graph_name = pml_fb_string_field(fb, graph, F_GRAPH_NAME, "name");
    pml_fb_vec tensors, nodes;
    if (!pml_fb_vec_field(fb, graph, F_GRAPH_TENSORS, "tensors", 4, &tensors)) tensors.len = 0;
    if (!pml_fb_vec_field(fb, graph, F_GRAPH_NODES, "nodes", 4, &nodes)) nodes.len = 0;
    if (fb->status) return fb->status;
    if (!g->graph_name) g->graph_name = "";
    if (tensors.len > PML_MAX_TENSORS)
        return pml_model_error("the %s has %u tensors; this runtime supports at most %d", graph_label(g), tensors.len,
                               PML_MAX_TENSORS);
    if (nodes.len > PML_MAX_NODES)
        return pml_model_error("the %s has %u nodes; this runtime supports at most %d", graph_label(g), nodes.len,
                               PML_MAX_NODES);
    /* Each tensor/node entry costs 4 file bytes but ~100 decoded bytes: linear, so not charged
     * (subgraphs are separate tables, each entry decoded once). */
    g->n_tensors = (int)tensors.len;
    g->n_nodes = (int)nodes.len;
    g->tensors = pml_model_pool_array(m, tensors.len, sizeof(pml_tensor));
    g->dim_names = pml_model_pool_array(m, tensors.len, sizeof(const char **));
    g->nodes = pml_model_pool_array(m, nodes.len, sizeof(pml_node));
    if (!g->tensors || !g->dim_names || !g->nodes) return pml_model_oom("tensors and nodes");

    pml_status s = PML_OK;
    for (uint32_t i = 0; i < tensors.len && s == PML_OK; i++) {
        pml_fb_table t;
        s = pml_fb_vec_table(fb, &tensors, i, "tensor", &t) ? decode_tensor(d, &t, (int)i) : fb->status;
    }
    for (uint32_t i = 0; i < nodes.len && s == PML_OK; i++) {
        pml_fb_table t;
        s = pml_fb_vec_table(fb, &nodes, i, "node", &t) ? decode_node(d, &t, (int)i) : fb->status;
    }
    if (s == PML_OK) s = decode_io(d, graph, F_GRAPH_INPUTS, "inputs", &g->inputs, &g->n_inputs);
    if (s == PML_OK) s = decode_io(d, graph, F_GRAPH_OUTPUTS, "outputs", &g->outputs, &g->n_outputs);
    if (s == PML_OK && g->n_outputs == 0) s = pml_model_error("the %s has no outputs", graph_label(g));
    return s;
}

pml_status pml_model_decode_graph(pml_model *m) {
    decoder d;
    memset(&d, 0, sizeof d);
    d.m = m;
    pml_fb *fb = &d.fb;
    pml_fb_table root, graph;
    const uint8_t *gbuf = m->file + m->header.graph_offset;
    if (pml_fb_open(fb, gbuf, (size_t)m->header.graph_size, "graph section", "PMLG", "model", &root)) return fb->status;

    uint32_t version = pml_fb_u32(fb, &root, F_MODEL_VERSION, "format_version", m->header.format_version);
    m->producer = pml_fb_string_field(fb, &root, F_MODEL_PRODUCER, "producer");
    int has_graph = pml_fb_table_field(fb, &root, F_MODEL_GRAPH, "graph", "graph", &graph);
    pml_fb_vec meta;
    int has_meta = pml_fb_vec_field(fb, &root, F_MODEL_METADATA, "metadata", 4, &meta);
    if (!pml_fb_vec_field(fb, &root, F_MODEL_BUFFERS, "buffers", 4, &d.buffers)) d.buffers.len = 0;
    if (fb->status) return fb->status;
    if (version != m->header.format_version)
        return pml_model_error("the graph says format version %u but the header says %u", version, m->header.format_version);
    if (!has_graph) return pml_model_error("the model has no graph");
    if (!m->producer) m->producer = "";
    d.n_buffers = d.buffers.len > (uint32_t)PML_MAX_TENSORS ? PML_MAX_TENSORS : (int)d.buffers.len;

    if (has_meta) {
        m->metadata = pml_model_pool_array(m, meta.len, sizeof(pml_metadata_entry));
        if (!m->metadata || !pml_model_charge(m, (uint64_t)meta.len * sizeof(pml_metadata_entry)))
            return m->metadata ? pml_model_error("metadata makes the decoded graph larger than the file") : pml_model_oom("metadata");
        for (uint32_t i = 0; i < meta.len; i++) {
            pml_fb_table e;
            if (!pml_fb_vec_table(fb, &meta, i, "metadata entry", &e)) return fb->status;
            m->metadata[i].key = pml_fb_string_field(fb, &e, F_META_KEY, "key");
            m->metadata[i].value = pml_fb_string_field(fb, &e, F_META_VALUE, "value");
            if (fb->status) return fb->status;
            if (!m->metadata[i].key) return pml_model_error("metadata entry %u has no key", i);
            if (!m->metadata[i].value) m->metadata[i].value = "";
        }
        m->n_metadata = (int)meta.len;
    }

    /* subgraph views first, so GRAPH attributes resolve while their nodes decode */
    pml_fb_vec subgraphs;
    if (!pml_fb_vec_field(fb, &root, F_MODEL_SUBGRAPHS, "subgraphs", 4, &subgraphs)) subgraphs.len = 0;
    if (fb->status) return fb->status;
    if (subgraphs.len > PML_MAX_SUBGRAPHS)
        return pml_model_error("the model has %u subgraphs; this runtime supports at most %d", subgraphs.len,
                               PML_MAX_SUBGRAPHS);
    m->subgraph_index = -1;
    m->n_subgraphs = (int)subgraphs.len;
    m->subgraphs = pml_model_pool_array(m, subgraphs.len, sizeof(pml_model));
    if (!m->subgraphs) return pml_model_oom("subgraphs");
    pml_status s = decode_graph(&d, &graph, m);
    for (uint32_t k = 0; k < subgraphs.len && s == PML_OK; k++) {
        pml_fb_table sg;
        pml_model *view = &m->subgraphs[k];
        view->subgraph_index = (int)k;
        view->weights = m->weights;
        view->producer = m->producer;
        view->header = m->header;
        s = pml_fb_vec_table(fb, &subgraphs, k, "subgraph", &sg) ? decode_graph(&d, &sg, view) : fb->status;
    }
    if (s == PML_OK) s = pml_model_verify(m); /* model_verify.c */
    return s;
}

