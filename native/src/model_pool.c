/*
 * model_pool.c — what the loader (model.c), the decoder (model_decode.c) and the
 * verifier (model_verify.c) share, below all three: the model-owned chunked
 * allocator and its copy budget, op names, and the loader's error messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "model_load.h"

static const char *const g_op_names[PML_OP_MAX_CODE + 1] = PML_OP_NAMES_INIT;

const char *pml_op_name(int op) {
    return op >= 0 && op <= PML_OP_MAX_CODE && g_op_names[op] ? g_op_names[op] : "?";
}

/* ---- pool: chunked bump allocator owned by the model ------------------------------- */

/* Charge `bytes` of copied arrays against the budget: shared FlatBuffer
 * vectors could otherwise make a small hostile file decode quadratically. */
int pml_model_charge(pml_model *m, uint64_t bytes) {
    if (bytes > m->copy_budget) return 0;
    m->copy_budget -= (size_t)bytes;
    return 1;
}

struct pml_pool_chunk {
    pml_pool_chunk *next;
    size_t used, cap;
    /* data follows, 16-aligned */
};
#define PML_POOL_HDR ((sizeof(pml_pool_chunk) + 15) & ~(size_t)15)
#define PML_POOL_CHUNK (64 * 1024)

/* Zeroed, 16-aligned memory that lives as long as the model; NULL when out of memory. */
void *pml_model_pool_alloc(pml_model *m, size_t n) {
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
void *pml_model_pool_array(pml_model *m, uint64_t count, size_t size) {
    return pml_model_pool_alloc(m, (size_t)(count ? count : 1) * size);
}

void pml_model_pool_free(pml_model *m) {
    for (pml_pool_chunk *c = m->pool, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    m->pool = NULL;
}

pml_status pml_model_oom(const char *what) {
    return pml_set_error(PML_ERR_OUT_OF_MEMORY, "out of memory while loading the model (%s)", what);
}

/* ---- errors ------------------------------------------------------------------------ */

/* "node 'name' (Op): ..." for a decoded node. */
pml_status pml_model_node_error(const pml_node *n, pml_status status, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pml_set_error(status, "node '%s' (%s): %s", n->name, pml_op_name(n->op), msg);
}

pml_status pml_model_error(const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pml_set_error(PML_ERR_INVALID_MODEL, "%s", msg);
}
