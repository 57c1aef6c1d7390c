/*
 * model.c — loads a .pml file, verifies it completely, and decodes it into
 * the internal structs of internal.h (see model.h for ownership).
 *
 * Order of trust: (1) the 64-byte header against the real byte count,
 * (2) the CRC-32 over everything but the checksum field, (3) the remaining
 * header offsets, (4) the FlatBuffer structure through the bounds-checked
 * reader (fb_reader.c), (5) the graph's meaning: dtypes, shapes, buffers,
 * tensor indices, single producers, topological order, graph inputs/outputs,
 * and finally (6) that every op is implemented here with a valid arity.
 * Structural checks come before op availability so a malformed file is
 * reported as malformed even by a build missing some kernels.
 *
 * Files are read into a 64-aligned heap buffer rather than memory-mapped:
 * the checksum reads every byte anyway, so mmap would save no I/O, and a
 * private copy cannot change under us after verification (a mapped file
 * could be truncated or rewritten by another process).
 */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32.h"
#include "fb_reader.h"

/* Limits that keep every later size computation far from overflow. */
#include "pml_limits.h" /* PML_MAX_TENSORS, PML_MAX_NODES, PML_MAX_TENSOR_BYTES */

/* FlatBuffers field ids (schema order in native/schema/pml.fbs). */
enum { F_MODEL_VERSION, F_MODEL_PRODUCER, F_MODEL_GRAPH, F_MODEL_BUFFERS, F_MODEL_METADATA };
enum { F_BUFFER_OFFSET, F_BUFFER_SIZE };
enum { F_TENSOR_NAME, F_TENSOR_DTYPE, F_TENSOR_SHAPE, F_TENSOR_DIM_NAMES, F_TENSOR_BUFFER };
enum { F_ATTR_NAME, F_ATTR_TYPE, F_ATTR_I, F_ATTR_F, F_ATTR_INTS, F_ATTR_FLOATS, F_ATTR_S };
enum { F_NODE_NAME, F_NODE_OP, F_NODE_INPUTS, F_NODE_OUTPUTS, F_NODE_ATTRS };
enum { F_GRAPH_NAME, F_GRAPH_TENSORS, F_GRAPH_NODES, F_GRAPH_INPUTS, F_GRAPH_OUTPUTS };
enum { F_META_KEY, F_META_VALUE };

static const char *const g_op_names[PML_OP_MAX_CODE + 1] = PML_OP_NAMES_INIT;

const char *pml_op_name(int op) {
    return op >= 0 && op <= PML_OP_MAX_CODE && g_op_names[op] ? g_op_names[op] : "?";
}

/* ---- pool: chunked bump allocator owned by the model ------------------------------- */

struct pml_pool_chunk {
    pml_pool_chunk *next;
    size_t used, cap;
    /* data follows, 16-aligned */
};
#define PML_POOL_HDR ((sizeof(pml_pool_chunk) + 15) & ~(size_t)15)
#define PML_POOL_CHUNK (64 * 1024)

/* Zeroed, 16-aligned memory that lives as long as the model; NULL when out of memory. */
static void *pool_alloc(pml_model *m, size_t n) {
    n = (n + 15) & ~(size_t)15;
    pml_pool_chunk *c = m->pool;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > PML_POOL_CHUNK ? n : PML_POOL_CHUNK;
        c = calloc(1, PML_POOL_HDR + cap);
        if (!c) return NULL;
        c->cap = cap;
        c->next = m->pool;
        m->pool = c;
    }
    void *p = (uint8_t *)c + PML_POOL_HDR + c->used;
    c->used += n;
    return p;
}

/* Arrays of count elements; count * size cannot overflow (count < 2^32, size small). */
static void *pool_array(pml_model *m, uint64_t count, size_t size) {
    return pool_alloc(m, (size_t)(count ? count : 1) * size);
}

static pml_status oom(const char *what) {
    return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory while loading the model (%s)", what);
}

/* ---- header and checksum ------------------------------------------------------------ */

static uint64_t rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

uint32_t pml_file_checksum(const uint8_t *buf, size_t size) {
    uint32_t crc = pml_crc32(0, buf, size < PML_CHECKSUM_OFFSET ? size : PML_CHECKSUM_OFFSET);
    if (size > PML_HEADER_SIZE) crc = pml_crc32(crc, buf + PML_HEADER_SIZE, size - PML_HEADER_SIZE);
    return crc;
}

pml_status pml_file_verify_header(const uint8_t *buf, size_t size, pml_file_header *h) {
    if (size >= 8 && memcmp(buf, PML_MAGIC, 8) != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "not a .pml file: magic bytes are %02x %02x %02x %02x %02x %02x %02x %02x, expected "
                             "\"POCKETML\"",
                             buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
    if (size < PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: %zu bytes is smaller than the %u-byte header",
                             size, PML_HEADER_SIZE);
    h->format_version = rd32(buf + 8);
    h->header_size = rd32(buf + 12);
    h->file_size = rd64(buf + 16);
    h->graph_offset = rd64(buf + 24);
    h->graph_size = rd64(buf + 32);
    h->weights_offset = rd64(buf + 40);
    h->weights_size = rd64(buf + 48);
    h->flags = rd32(buf + 56);
    h->checksum = rd32(buf + 60);

    if (h->format_version == 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: format version 0 is invalid");
    if (h->format_version > PML_FORMAT_VERSION)
        return pml_set_error(PML_ERR_UNSUPPORTED,
                             "file has format version %u; this runtime reads versions up to %u (upgrade pocketml)",
                             h->format_version, PML_FORMAT_VERSION);
    if (h->header_size != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: header_size is %u, expected %u", h->header_size,
                             PML_HEADER_SIZE);
    if (h->file_size > size)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: header says %llu bytes, got %zu",
                             (unsigned long long)h->file_size, size);
    if (h->file_size < size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "file has %zu bytes but its header says %llu (trailing bytes or a corrupted header)",
                             size, (unsigned long long)h->file_size);
    uint32_t crc = pml_file_checksum(buf, size);
    if (crc != h->checksum)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "checksum mismatch: file is corrupted (stored 0x%08x, computed 0x%08x)", h->checksum,
                             crc);
    if (h->flags != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: reserved flags are 0x%08x, must be 0 in format version %u",
                             h->flags, PML_FORMAT_VERSION);
    if (h->graph_offset != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: graph_offset is %llu, expected %u",
                             (unsigned long long)h->graph_offset, PML_HEADER_SIZE);
    if (h->graph_size == 0 || h->graph_size > size - h->graph_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: graph section [%llu, +%llu bytes) does not fit in the %zu-byte file",
                             (unsigned long long)h->graph_offset, (unsigned long long)h->graph_size, size);
    if (h->weights_offset % PML_ALIGN != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: weights_offset %llu is not a multiple of %d",
                             (unsigned long long)h->weights_offset, PML_ALIGN);
    if (h->weights_offset < h->graph_offset + h->graph_size || h->weights_offset > size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights_offset %llu must lie between the end of the graph (%llu) and the end "
                             "of the file (%zu)",
                             (unsigned long long)h->weights_offset,
                             (unsigned long long)(h->graph_offset + h->graph_size), size);
    if (h->weights_size != size - h->weights_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights section [%llu, +%llu bytes) must end at the end of the file (%zu bytes)",
                             (unsigned long long)h->weights_offset, (unsigned long long)h->weights_size, size);
    return PML_OK;
}

/* ---- graph decoding ------------------------------------------------------------------ */

typedef struct decoder {
    pml_model *m;
    pml_fb fb;
    pml_fb_vec buffers;
    int n_buffers;
} decoder;

/* "node 'name' (Op): ..." for a decoded node. */
static pml_status node_error(const pml_node *n, pml_status status, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pml_set_error(status, "node '%s' (%s): %s", n->name, pml_op_name(n->op), msg);
}

static pml_status model_error(const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pml_set_error(PML_ERR_INVALID_MODEL, "%s", msg);
}

/* Charge `bytes` of copied arrays against the budget: shared FlatBuffer
 * vectors could otherwise make a small hostile file decode quadratically. */
static int charge(pml_model *m, uint64_t bytes) {
    if (bytes > m->copy_budget) return 0;
    m->copy_budget -= (size_t)bytes;
    return 1;
}

static pml_status decode_tensor(decoder *d, const pml_fb_table *t, int index) {
    pml_model *m = d->m;
    pml_tensor *tensor = &m->tensors[index];
    pml_fb *fb = &d->fb;
    const char *name = pml_fb_string_field(fb, t, F_TENSOR_NAME, "name");
    uint8_t dtype = pml_fb_u8(fb, t, F_TENSOR_DTYPE, "dtype", 0);
    pml_fb_vec shape, dim_names;
    int has_shape = pml_fb_vec_field(fb, t, F_TENSOR_SHAPE, "shape", 8, &shape);
    int has_dim_names = pml_fb_vec_field(fb, t, F_TENSOR_DIM_NAMES, "dim_names", 4, &dim_names);
    int32_t buffer = pml_fb_i32(fb, t, F_TENSOR_BUFFER, "buffer", -1);
    if (fb->status) return fb->status;
    if (!name || !name[0]) return model_error("tensor %d has no name", index);
    tensor->name = name;
    size_t esize = pml_dtype_size((pml_dtype)dtype);
    if (esize == 0)
        return model_error("tensor %d ('%s') has unknown dtype code %u (known: 1 float32 .. %d %s)", index, name,
                           dtype, PML_DTYPE_COUNT - 1, pml_dtype_name((pml_dtype)(PML_DTYPE_COUNT - 1)));
    tensor->dtype = (pml_dtype)dtype;
    uint32_t rank = has_shape ? shape.len : 0;
    if (rank > PML_MAX_RANK)
        return model_error("tensor %d ('%s') has rank %u; this runtime supports rank <= %d", index, name, rank,
                           PML_MAX_RANK);
    tensor->rank = (int)rank;
    int empty = 0, symbolic = 0;
    for (uint32_t i = 0; i < rank; i++) {
        int64_t dim = pml_fb_vec_i64(fb, &shape, i);
        if (dim < -1) return model_error("tensor %d ('%s'): dim %u is %lld (must be >= 0, or -1 for a symbolic dim)",
                                         index, name, i, (long long)dim);
        tensor->dims[i] = dim;
        empty |= dim == 0;
        symbolic |= dim == -1;
    }
    if (symbolic && buffer != -1)
        return model_error("constant tensor %d ('%s') has a symbolic dim (-1); constants must have static shapes",
                           index, name);
    /* numel * esize <= 2^48, checked before each multiplication so nothing wraps;
     * a tensor with symbolic dims has no size until a session plans concrete shapes */
    uint64_t numel = empty || symbolic ? 0 : 1, limit = PML_MAX_TENSOR_BYTES / esize;
    for (uint32_t i = 0; i < rank && numel; i++) {
        if ((uint64_t)tensor->dims[i] > limit / numel) {
            char buf[256];
            return model_error("tensor %d ('%s') with shape %s of %s is larger than the %llu bytes this runtime "
                               "supports",
                               index, name, pml_shape_str(tensor->rank, tensor->dims, buf, sizeof buf),
                               pml_dtype_name(tensor->dtype), (unsigned long long)PML_MAX_TENSOR_BYTES);
        }
        numel *= (uint64_t)tensor->dims[i];
    }
    tensor->nbytes = (size_t)(numel * esize);
    if (has_dim_names) {
        if (dim_names.len != 0 && dim_names.len != rank)
            return model_error("tensor %d ('%s') has %u dim_names for rank %u (expected 0 or %u)", index, name,
                               dim_names.len, rank, rank);
        for (uint32_t i = 0; i < dim_names.len; i++)
            if (!pml_fb_vec_string(fb, &dim_names, i)) return fb->status;
        if (symbolic && dim_names.len) {
            /* names of symbolic dims ("" for fixed ones), kept for pml_session_input_dim_name */
            const char **names = pool_array(m, rank, sizeof(char *));
            if (!names) return oom("dim names");
            for (uint32_t i = 0; i < rank; i++) names[i] = pml_fb_vec_string(fb, &dim_names, i);
            m->dim_names[index] = names;
        }
    }
    if (buffer == -1) return PML_OK;
    if (buffer < -1 || buffer >= d->n_buffers)
        return model_error("tensor %d ('%s') refers to buffer %d but the model has %d buffers", index, name, buffer,
                           d->n_buffers);
    pml_fb_table b;
    if (!pml_fb_vec_table(fb, &d->buffers, (uint32_t)buffer, "buffer", &b)) return fb->status;
    uint64_t off = pml_fb_u64(fb, &b, F_BUFFER_OFFSET, "offset", 0);
    uint64_t size = pml_fb_u64(fb, &b, F_BUFFER_SIZE, "size", 0);
    if (fb->status) return fb->status;
    if (off % PML_ALIGN)
        return model_error("buffer %d (tensor '%s') has offset %llu, not a multiple of %d", buffer, name,
                           (unsigned long long)off, PML_ALIGN);
    if (off > m->header.weights_size || size > m->header.weights_size - off)
        return model_error("buffer %d (tensor '%s') [%llu, +%llu bytes) lies outside the %llu-byte weights section",
                           buffer, name, (unsigned long long)off, (unsigned long long)size,
                           (unsigned long long)m->header.weights_size);
    if (size != tensor->nbytes) {
        char buf[256];
        return model_error("buffer %d has %llu bytes but constant tensor '%s' (%s %s) needs %zu", buffer,
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
    if (!charge(d->m, (uint64_t)v.len * sizeof(int)))
        return model_error("%s %d: field '%s' makes the decoded graph larger than the file (shared vectors?)", t->kind,
                           t->index, field);
    int *idx = pool_array(d->m, v.len, sizeof(int));
    if (!idx) return oom(field);
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
    if (!a->name || !a->name[0]) return node_error(n, PML_ERR_INVALID_MODEL, "attribute %d has no name", t->index);
    a->type = (pml_attr_type)type;
    pml_fb_vec v;
    switch (type) {
    case PML_ATTR_INT: a->i = pml_fb_i64(fb, t, F_ATTR_I, "i", 0); break;
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
        if (!charge(d->m, (uint64_t)v.len * esize))
            return node_error(n, PML_ERR_INVALID_MODEL,
                              "attribute '%s' makes the decoded graph larger than the file (shared vectors?)", a->name);
        void *vals = pool_array(d->m, v.len, esize);
        if (!vals) return oom("attribute values");
        for (uint32_t i = 0; i < v.len; i++) {
            if (ints) ((int64_t *)vals)[i] = pml_fb_vec_i64(fb, &v, i);
            else ((float *)vals)[i] = pml_fb_vec_f32(fb, &v, i);
        }
        if (ints) a->ints = vals, a->n_ints = (int)v.len;
        else a->floats = vals, a->n_floats = (int)v.len;
        break;
    }
    default:
        return node_error(n, PML_ERR_INVALID_MODEL, "attribute '%s' has unknown type %u (known: 1 int .. 5 string)",
                          a->name, type);
    }
    return fb->status;
}

static pml_status decode_node(decoder *d, const pml_fb_table *t, int index) {
    pml_model *m = d->m;
    pml_node *n = &m->nodes[index];
    pml_fb *fb = &d->fb;
    const char *name = pml_fb_string_field(fb, t, F_NODE_NAME, "name");
    uint16_t op = pml_fb_u16(fb, t, F_NODE_OP, "op", 0);
    if (fb->status) return fb->status;
    if (!name || !name[0]) {
        char *gen = pool_alloc(m, 24);
        if (!gen) return oom("node name");
        snprintf(gen, 24, "#%d", index);
        name = gen;
    }
    n->name = name;
    n->op = op;
    if (op > PML_OP_MAX_CODE || !g_op_names[op])
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
        if (inputs[i] < -1 || inputs[i] >= m->n_tensors)
            return node_error(n, PML_ERR_INVALID_MODEL, "input %d refers to tensor %d but the graph has %d tensors", i,
                              inputs[i], m->n_tensors);
    for (int i = 0; i < n_out; i++)
        if (outputs[i] < 0 || outputs[i] >= m->n_tensors)
            return node_error(n, PML_ERR_INVALID_MODEL, "output %d refers to tensor %d but the graph has %d tensors", i,
                              outputs[i], m->n_tensors);

    pml_fb_vec attrs;
    if (!pml_fb_vec_field(fb, t, F_NODE_ATTRS, "attrs", 4, &attrs)) return fb->status;
    if (!charge(m, (uint64_t)attrs.len * sizeof(pml_attr)))
        return node_error(n, PML_ERR_INVALID_MODEL, "attributes make the decoded graph larger than the file (shared vectors?)");
    pml_attr *as = pool_array(m, attrs.len, sizeof(pml_attr));
    if (!as) return oom("attributes");
    for (uint32_t i = 0; i < attrs.len; i++) {
        pml_fb_table at;
        if (!pml_fb_vec_table(fb, &attrs, i, "attribute", &at)) return fb->status;
        if ((s = decode_attr(d, n, &at, &as[i])) != PML_OK) return s;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(as[j].name, as[i].name) == 0)
                return node_error(n, PML_ERR_INVALID_MODEL, "attribute '%s' appears twice", as[i].name);
    }
    n->attrs = as;
    n->n_attrs = (int)attrs.len;
    return PML_OK;
}

/* Graph inputs/outputs: index lists checked for range and duplicates (one mark per
 * tensor, so a graph with many outputs is still linear). */
static pml_status decode_io(decoder *d, const pml_fb_table *g, int id, const char *what, int **out, int *count) {
    pml_status s = decode_indices(d, g, id, what, out, count);
    if (s != PML_OK) return s;
    char *seen = calloc((size_t)(d->m->n_tensors ? d->m->n_tensors : 1), 1);
    if (!seen) return oom("graph interface");
    for (int i = 0; i < *count && s == PML_OK; i++) {
        int t = (*out)[i];
        if (t < 0 || t >= d->m->n_tensors)
            s = model_error("graph %s %d refers to tensor %d but the graph has %d tensors", what, i, t,
                            d->m->n_tensors);
        else if (seen[t]++)
            s = model_error("tensor '%s' is listed twice among the graph %s", d->m->tensors[t].name, what);
    }
    free(seen);
    return s;
}

/* Meaning of the graph: producers, topological order, inputs and outputs. */
static pml_status check_graph(pml_model *m) {
    pml_status s = PML_OK;
    int *producer = malloc(sizeof(int) * (size_t)(m->n_tensors ? m->n_tensors : 1));
    char *avail = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), 1);
    if (!producer || !avail) {
        s = oom("graph check");
        goto done;
    }
    for (int t = 0; t < m->n_tensors; t++) producer[t] = -1, avail[t] = (char)m->tensors[t].is_const;
    for (int i = 0; i < m->n_inputs; i++) {
        const pml_tensor *t = &m->tensors[m->inputs[i]];
        if (t->is_const) {
            s = model_error("graph input %d ('%s') is a constant; inputs are fed at run time", i, t->name);
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
                s = node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') is a constant tensor", k, tn);
            else if (producer[t] >= 0)
                s = node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') is also produced by node '%s'", k, tn,
                               m->nodes[producer[t]].name);
            else if (avail[t])
                s = node_error(n, PML_ERR_INVALID_MODEL, "output %d ('%s') overwrites a graph input", k, tn);
            else producer[t] = i;
        }
    }
    for (int i = 0; i < m->n_nodes && s == PML_OK; i++) {
        const pml_node *n = &m->nodes[i];
        for (int k = 0; k < n->n_inputs && s == PML_OK; k++) {
            int t = n->inputs[k];
            if (t < 0 || avail[t]) continue;
            if (producer[t] >= 0)
                s = node_error(n, PML_ERR_INVALID_MODEL,
                               "input %d ('%s') is produced later by node '%s' (#%d): nodes are not in topological order",
                               k, m->tensors[t].name, m->nodes[producer[t]].name, producer[t]);
            else
                s = node_error(n, PML_ERR_INVALID_MODEL,
                               "input %d ('%s') is never produced (not a graph input, a constant or a node output)", k,
                               m->tensors[t].name);
        }
        for (int k = 0; k < n->n_outputs; k++) avail[n->outputs[k]] = 1;
    }
    for (int i = 0; i < m->n_outputs && s == PML_OK; i++) {
        int t = m->outputs[i];
        if (m->tensors[t].is_const)
            s = model_error("graph output %d ('%s') is a constant; outputs must be computed by nodes or be inputs", i,
                            m->tensors[t].name);
        else if (!avail[t])
            s = model_error("graph output %d ('%s') is never produced by a node and is not a graph input", i,
                            m->tensors[t].name);
    }
done:
    free(producer);
    free(avail);
    return s;
}

/* Every op implemented by this build, with an arity its schema accepts. */
static pml_status check_ops(pml_model *m) {
    for (int i = 0; i < m->n_nodes; i++) {
        const pml_node *n = &m->nodes[i];
        const pml_op_schema *op = pml_op_schema_get(n->op);
        if (!op || !pml_op_lookup(n->op))
            return node_error(n, PML_ERR_UNSUPPORTED, "op %s (code %d) is not implemented by this runtime build",
                              pml_op_name(n->op), n->op);
        if (n->n_inputs < op->min_inputs || n->n_inputs > op->max_inputs)
            return node_error(n, PML_ERR_INVALID_MODEL, "has %d inputs; %s takes %d to %d", n->n_inputs, op->name,
                              op->min_inputs, op->max_inputs);
        if (n->n_outputs < op->min_outputs || n->n_outputs > op->max_outputs)
            return node_error(n, PML_ERR_INVALID_MODEL, "has %d outputs; %s produces %d to %d", n->n_outputs,
                              op->name, op->min_outputs, op->max_outputs);
        for (int k = 0; k < op->min_inputs; k++)
            if (n->inputs[k] < 0)
                return node_error(n, PML_ERR_INVALID_MODEL, "required input %d is absent (%s requires inputs 0..%d)", k,
                                  op->name, op->min_inputs - 1);
    }
    return PML_OK;
}

static pml_status decode_graph(pml_model *m) {
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
        return model_error("the graph says format version %u but the header says %u", version, m->header.format_version);
    if (!has_graph) return model_error("the model has no graph");
    if (!m->producer) m->producer = "";
    d.n_buffers = d.buffers.len > (uint32_t)PML_MAX_TENSORS ? PML_MAX_TENSORS : (int)d.buffers.len;

    if (has_meta) {
        m->metadata = pool_array(m, meta.len, sizeof(pml_metadata_entry));
        if (!m->metadata || !charge(m, (uint64_t)meta.len * sizeof(pml_metadata_entry)))
            return m->metadata ? model_error("metadata makes the decoded graph larger than the file") : oom("metadata");
        for (uint32_t i = 0; i < meta.len; i++) {
            pml_fb_table e;
            if (!pml_fb_vec_table(fb, &meta, i, "metadata entry", &e)) return fb->status;
            m->metadata[i].key = pml_fb_string_field(fb, &e, F_META_KEY, "key");
            m->metadata[i].value = pml_fb_string_field(fb, &e, F_META_VALUE, "value");
            if (fb->status) return fb->status;
            if (!m->metadata[i].key) return model_error("metadata entry %u has no key", i);
            if (!m->metadata[i].value) m->metadata[i].value = "";
        }
        m->n_metadata = (int)meta.len;
    }

    m->graph_name = pml_fb_string_field(fb, &graph, F_GRAPH_NAME, "name");
    pml_fb_vec tensors, nodes;
    if (!pml_fb_vec_field(fb, &graph, F_GRAPH_TENSORS, "tensors", 4, &tensors)) tensors.len = 0;
    if (!pml_fb_vec_field(fb, &graph, F_GRAPH_NODES, "nodes", 4, &nodes)) nodes.len = 0;
    if (fb->status) return fb->status;
    if (!m->graph_name) m->graph_name = "";
    if (tensors.len > PML_MAX_TENSORS)
        return model_error("the graph has %u tensors; this runtime supports at most %d", tensors.len, PML_MAX_TENSORS);
    if (nodes.len > PML_MAX_NODES)
        return model_error("the graph has %u nodes; this runtime supports at most %d", nodes.len, PML_MAX_NODES);
    /* Each tensor/node entry costs 4 file bytes but ~100 decoded bytes: linear, so not charged. */
    m->n_tensors = (int)tensors.len;
    m->n_nodes = (int)nodes.len;
    m->tensors = pool_array(m, tensors.len, sizeof(pml_tensor));
    m->dim_names = pool_array(m, tensors.len, sizeof(const char **));
    m->nodes = pool_array(m, nodes.len, sizeof(pml_node));
    if (!m->tensors || !m->dim_names || !m->nodes) return oom("tensors and nodes");

    pml_status s = PML_OK;
    for (uint32_t i = 0; i < tensors.len && s == PML_OK; i++) {
        pml_fb_table t;
        s = pml_fb_vec_table(fb, &tensors, i, "tensor", &t) ? decode_tensor(&d, &t, (int)i) : fb->status;
    }
    for (uint32_t i = 0; i < nodes.len && s == PML_OK; i++) {
        pml_fb_table t;
        s = pml_fb_vec_table(fb, &nodes, i, "node", &t) ? decode_node(&d, &t, (int)i) : fb->status;
    }
    if (s == PML_OK) s = decode_io(&d, &graph, F_GRAPH_INPUTS, "inputs", &m->inputs, &m->n_inputs);
    if (s == PML_OK) s = decode_io(&d, &graph, F_GRAPH_OUTPUTS, "outputs", &m->outputs, &m->n_outputs);
    if (s == PML_OK && m->n_outputs == 0) s = model_error("the graph has no outputs");
    if (s == PML_OK) s = check_graph(m);
    if (s == PML_OK) s = check_ops(m);
    return s;
}

/* ---- loading --------------------------------------------------------------------------- */

/* Takes ownership of file (64-aligned, size bytes). */
static pml_status load_owned(uint8_t *file, size_t size, pml_model **out) {
    pml_model *m = calloc(1, sizeof *m);
    if (!m) {
        free(file);
        return oom("model");
    }
    m->file = file;
    m->file_size = size;
    pml_status s = pml_file_verify_header(file, size, &m->header);
    if (s == PML_OK) {
        m->weights = file + m->header.weights_offset;
        m->copy_budget = (size_t)m->header.graph_size * 2 + 65536;
        s = decode_graph(m);
    }
    if (s != PML_OK) {
        pml_model_destroy(m);
        return s;
    }
    m->weight_loads = 1;
    *out = m;
    return PML_OK;
}

static uint8_t *alloc_file_buffer(size_t size) {
    void *p = NULL;
    /* not zeroed: every byte is overwritten by the copy/read */
    if (posix_memalign(&p, PML_ALIGN, size ? size : PML_ALIGN) != 0) return NULL;
    return p;
}

pml_status pml_model_open_buffer(const void *data, size_t size, pml_model **out) {
    uint8_t *file = alloc_file_buffer(size);
    if (!file) return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory copying a %zu-byte model buffer", size);
    if (size) memcpy(file, data, size);
    return load_owned(file, size, out);
}

pml_status pml_model_open_file(const char *path, pml_model **out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pml_set_error(PML_ERR_IO, "cannot open model file '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': %s", path, strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "cannot read model file '%s': not a regular file", path);
    }
    if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX / 2) {
        close(fd);
        return pml_set_error(PML_ERR_IO, "model file '%s' is too large (%lld bytes)", path, (long long)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    uint8_t *file = alloc_file_buffer(size);
    if (!file) {
        close(fd);
        return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory reading the %zu-byte model file '%s'", size, path);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, file + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            free(file);
            return pml_set_error(PML_ERR_IO, "error reading model file '%s': %s", path, strerror(err));
        }
        if (r == 0) break; /* shrank while reading: the header check reports the truncation */
        got += (size_t)r;
    }
    close(fd);
    return load_owned(file, got, out);
}

void pml_model_destroy(pml_model *m) {
    if (!m) return;
    for (pml_pool_chunk *c = m->pool, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(m->file);
    free(m);
}
