/*
 * model_load.h — what the loader's files (model.c, model_decode.c, model_verify.c)
 * share; nothing outside the loader includes it.
 */
#ifndef PML_MODEL_LOAD_H
#define PML_MODEL_LOAD_H

#include "fb_reader.h"
#include "model.h"

/* Zeroed, 16-aligned memory that lives as long as the model; NULL when out of memory. */
void *pml_model_pool_alloc(pml_model *m, size_t n);
/* Frees every chunk of the model's pool. */
void pml_model_pool_free(pml_model *m);
/* Arrays of count elements; count * size cannot overflow (count < 2^32, size small). */
void *pml_model_pool_array(pml_model *m, uint64_t count, size_t size);

/* Errors while loading: out of memory, a malformed model, a malformed node. */
pml_status pml_model_oom(const char *what);
pml_status pml_model_error(const char *fmt, ...);
/* "node 'name' (Op): ..." for a decoded node. */
pml_status pml_model_node_error(const pml_node *n, pml_status status, const char *fmt, ...);

/* Charges `bytes` of copied arrays against the model's copy budget; 0 when it is spent. */
int pml_model_charge(pml_model *m, uint64_t bytes);
/* Decodes and verifies tensor `index`'s Quantization table q into t->quant (model_quant.c). */
pml_status pml_model_decode_quant(pml_model *m, pml_fb *fb, const pml_fb_table *q, pml_tensor *t, int index);

/* Decodes the graph section (m->file, m->header verified) into m, then verifies it. */
pml_status pml_model_decode_graph(pml_model *m);
/* Producers, topological order, graph inputs/outputs, then op availability and arity. */
pml_status pml_model_verify(const pml_model *m);
/* Control flow: each control-flow node's subgraphs match its inputs and outputs; state only
 * in the main graph; nesting depth and the expanded node count bounded. */
pml_status pml_model_verify_control(const pml_model *m);

#endif /* PML_MODEL_LOAD_H */
