/*
 * internal.h — shared internal types of the runtime: the decoded model
 * (tensors, nodes, attributes), the op interface every kernel family
 * implements, and the services kernels use (errors, threads, CPU features,
 * activation helpers). Nothing here is public API.
 *
 * Lifecycle of an op inside a session (see session.c):
 *   pack    : (optional) once per session per node, before any plan: pack
 *             constant weights into shape-independent storage (ctx->packed,
 *             ctx->packed_size bytes). It may read only constant inputs
 *             (is_const) and attributes, never the shapes or data of
 *             non-constant tensors (those are not known yet). It must not
 *             fail for a malformed node: it leaves ctx->packed NULL and infer
 *             reports the problem. ctx->packed is then shared read-only by
 *             every plan's infer/prepare/run/release; prepare must check that
 *             it matches the layout it chose (falling back to packing per
 *             run otherwise). pack sees ctx->config, so it
 *             picks the same ISA and layout as prepare.
 *   infer   : compute output dtype/shape from input dtypes/shapes/attributes,
 *             validating everything (a hostile file must not get past it).
 *   prepare : take its kernels from ctx->config, build shape-specific
 *             op state (malloc'ed here, freed by release; it may point into
 *             ctx->packed but never owns it), and ask for scratch bytes
 *             (ctx->scratch_size); the planner places the scratch in the arena.
 *   run     : compute; no allocation, no shape checks beyond what prepare did.
 *   release : free what prepare allocated.
 *   unpack  : (optional) free ctx->packed, at session destroy.
 */
#ifndef PML_INTERNAL_H
#define PML_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "pocketml.h"
#include "act_kinds.h" /* generated from the Python op registry: pml_act_kind */
#include "op_codes.h" /* generated from the Python op registry: PML_OP_* */
#include "op_schema.h" /* generated: per op arity, allowed dtypes, traits */
#include "kernels/activation.h" /* pml_activation */
#include "kernels/cpu.h"        /* pml_cpu */
#include "kernels/parallel.h"   /* pml_threadpool, pml_parallel_for */

#define PML_ALIGN 64

/* ---- decoded model ------------------------------------------------------ */

typedef enum pml_attr_type {
    PML_ATTR_INT = 1,
    PML_ATTR_FLOAT = 2,
    PML_ATTR_INTS = 3,
    PML_ATTR_FLOATS = 4,
    PML_ATTR_STRING = 5,
    PML_ATTR_GRAPH = 6 /* a subgraph: i is its index in the model's subgraphs, graph points at it */
} pml_attr_type;

struct pml_model;

typedef struct pml_attr {
    const char *name;
    pml_attr_type type;
    int64_t i;
    float f;
    const int64_t *ints; /* owned by the model; aligned copies */
    int n_ints;
    const float *floats;
    int n_floats;
    const char *s;
    const struct pml_model *graph; /* PML_ATTR_GRAPH: the subgraph (a view of the model), else NULL */
} pml_attr;

/* Quantization parameters of a tensor (int8/uint8/int16 values, int32 biases): the real
 * value of element x is (x - zero_point[c]) * scale[c], c = 0 per tensor, else the element's
 * index along axis. The loader verifies them before anything runs: count == 1 (axis -1) or
 * count == dims[axis]; scales finite and > 0; zero points within the dtype's range. */
typedef struct pml_quant {
    int axis;                  /* -1: per tensor */
    int count;                 /* 1, or dims[axis] */
    const float *scale;        /* count values; owned by the model */
    const int32_t *zero_point; /* count values; owned by the model */
} pml_quant;

typedef struct pml_tensor {
    const char *name;
    pml_dtype dtype;
    int rank;
    int64_t dims[PML_MAX_RANK];
    size_t nbytes;          /* element count * dtype size */
    int is_const;           /* constant: data points at the model's weights */
    /* The value is known while planning: constants, and small shape tensors
     * (Shape -> Gather -> Concat ...) that the session computes at plan time
     * because some op's infer needs them (Reshape's target, Expand's shape,
     * Range's bounds...). An op's infer may read data only when this is set
     * (see pml_tensor_known_value); nodes producing such tensors are run at
     * plan time and skipped at run time. */
    int value_known;
    void *data;             /* constants: model weights; others: arena + offset (set by planner) */
    const pml_quant *quant; /* NULL: not quantized (the file gives no parameters) */
} pml_tensor;

typedef struct pml_node {
    const char *name;
    int op;               /* PML_OP_* */
    int n_inputs;
    int n_outputs;
    const int *inputs;    /* tensor indices into the graph; -1 = absent optional input */
    const int *outputs;
    int n_attrs;
    const pml_attr *attrs;
} pml_node;

/* ---- services for kernels -------------------------------------------------- */

/* pml_cpu (kernels/cpu.h), filled from the CPU by cpu.c */
void pml_cpu_detect(pml_cpu *cpu);

/* The thread pool (pml_parallel_for, pml_threadpool_size: kernels/parallel.h). */
pml_threadpool *pml_threadpool_create(int num_threads);
/* spin 0: idle threads sleep at once instead of spinning PML_SPIN_NS (no CPU burnt while idle) */
pml_threadpool *pml_threadpool_create_spinning(int num_threads, int spin);
void pml_threadpool_destroy(pml_threadpool *pool);

/* Errors: set the thread-local message returned by pml_last_error(). */
pml_status pml_set_error(pml_status status, const char *fmt, ...);
pml_status pml_set_errorv(pml_status status, const char *fmt, va_list ap);

const char *pml_dtype_name(pml_dtype dtype);
size_t pml_dtype_size(pml_dtype dtype); /* 0 for undefined/unknown */
int64_t pml_shape_numel(int rank, const int64_t *dims);
void *pml_aligned_alloc(size_t size); /* 64-byte aligned, zeroed (small op state); free with pml_aligned_free */
/* 64-byte aligned and NOT zeroed: arenas and other buffers whose users write before they
 * read (zeroing gigabytes would touch every page overcommit granted); NULL on overflow. */
void *pml_aligned_malloc(size_t size);
void pml_aligned_free(void *p);

/* ---- the op interface -------------------------------------------------------- */

/* A subgraph a control-flow node runs (If's branches, Loop's body): a child session the
 * session builds per GRAPH attribute of the node. Ops reach it only through these calls
 * (ctx->subgraph_calls), so the op layer does not depend on the session. */
typedef struct pml_subgraph pml_subgraph;
typedef struct pml_subgraph_calls {
    /* Plans g for the shapes of in[0..n_in) (the values of those known while planning feed
     * its plan-time inputs). Fails (without an error worth reporting) when g cannot be
     * planned from what is known; output() then gives the last plan's shapes. */
    pml_status (*plan)(pml_subgraph *g, pml_tensor *const *in, int n_in);
    /* Sets g's inputs from in[0..n_in) (shapes and data) and runs it. */
    pml_status (*run)(pml_subgraph *g, pml_tensor *const *in, int n_in);
    /* Output k of the last plan (shape) or run (shape and data, valid until g plans or runs again). */
    const pml_tensor *(*output)(const pml_subgraph *g, int k);
    /* Whether g's output shapes may depend on values (data-dependent or control-flow nodes inside). */
    int (*shapes_vary)(const pml_subgraph *g);
    /* Output k as the file declares it (dtype, rank; -1 for a symbolic dim). */
    const pml_tensor *(*declared_output)(const pml_subgraph *g, int k);
    /* Input k as the file declares it. */
    const pml_tensor *(*declared_input)(const pml_subgraph *g, int k);
} pml_subgraph_calls;

typedef struct pml_kernel_ctx {
    const pml_node *node;
    const char *op_name;
    pml_tensor **in;   /* n_in entries; NULL for an absent optional input */
    int n_in;
    pml_tensor **out;
    int n_out;
    void *state;       /* op-owned, set by prepare, freed by release */
    size_t state_size; /* bytes of state, for pml_session_state_size */
    size_t scratch_size; /* bytes of arena scratch requested by prepare */
    void *scratch;     /* 64-aligned arena scratch valid during run */
    /* Bytes of scratch per pool thread requested by prepare, and where they are during run:
     * one region per thread at a stride the whole plan shares, so each thread's scratch is
     * the same memory in every node (kernels/parallel.h). */
    size_t thread_scratch_size;
    pml_thread_scratch thread_scratch;
    const struct pml_kernel_config *config; /* the session's kernels (kernels/config.h) */
    pml_threadpool *pool;
    /* Shape-independent packed constants from pack (NULL if none), owned by
     * the session (one per node, shared read-only by every plan), freed by
     * unpack. packed_size: its bytes, counted once in pml_session_state_size. */
    void *packed;
    size_t packed_size;
    /* Control flow (ops with the control_flow trait): per attribute of the node, the child
     * running it (NULL for non-graph attributes), and the calls that drive children. */
    pml_subgraph **subgraphs;
    const pml_subgraph_calls *subgraph_calls;
    int64_t loop_limit;  /* iterations a loop without a trip count may run (session option) */
    /* Set by a control-flow op's infer: its output dims are known only once it has run (the
     * session plans the nodes after it then, as after a data-dependent node). */
    int shapes_after_run;
} pml_kernel_ctx;

/* The functions of an op. Its name, arity and allowed dtypes are in the
 * generated schema (op_schema.h, pml_op_schema_get(op)): the loader checks
 * arity and the session checks input dtypes before infer is called. */
typedef struct pml_op_def {
    int op;
    pml_status (*infer)(pml_kernel_ctx *ctx);
    pml_status (*prepare)(pml_kernel_ctx *ctx); /* may be NULL */
    pml_status (*run)(pml_kernel_ctx *ctx);
    void (*release)(pml_kernel_ctx *ctx);       /* may be NULL */
    pml_status (*pack)(pml_kernel_ctx *ctx);    /* may be NULL; see the lifecycle above */
    void (*unpack)(pml_kernel_ctx *ctx);        /* may be NULL; frees ctx->packed */
    /* Both may be NULL. Asked after prepare, for a node whose first output has one reader,
     * the next node (already prepared), which reads it as its input 0: 1 when run_with_next
     * should compute both (faster so, for this plan's shapes and threads; the op checks what
     * next is: its node's op and dtypes). The plan then keeps this node's inputs live through
     * the next node, and runs the pair with run_with_next (node by node when profiling); both
     * nodes' outputs must come out as their own runs would write them. */
    int (*fuses_next)(const pml_kernel_ctx *ctx, const pml_kernel_ctx *next);
    pml_status (*run_with_next)(pml_kernel_ctx *ctx, pml_kernel_ctx *next);
} pml_op_def;

/* The op table (ops_table.c): NULL if the op code is not implemented. */
const pml_op_def *pml_op_lookup(int op);

/* Checks the node's input dtypes against its op's schema (type constraints),
 * with an error naming node, op, input, dtype and the allowed dtypes. */
pml_status pml_schema_check_inputs(const pml_kernel_ctx *ctx);
/* Refuses (PML_ERR_UNSUPPORTED naming node and op) a node whose tensors carry quantization
 * parameters its op does not honour (quant_guard.c); pml_schema_check_inputs calls it. */
pml_status pml_quant_check_node(const pml_kernel_ctx *ctx);
/* Whether output k of the node's op may have dtype code `code` (ops whose
 * output dtype is an attribute: Cast's to, ConstantOfShape's dtype). */
int pml_schema_output_allows(const pml_kernel_ctx *ctx, int k, int64_t code);
/* "1 float32, 2 float16, ..." for a PML_DT mask, into buf. */
const char *pml_schema_dtype_codes(uint32_t mask, char *buf, size_t cap);

/* Error for a node: prefixes "node 'name' (Op): ". Returns status. */
pml_status pml_node_error(const pml_kernel_ctx *ctx, pml_status status, const char *fmt, ...);

/* Attribute access (NULL/default when absent; type mismatches count as absent
 * for the getters, use pml_attr_find to check). */
const pml_attr *pml_attr_find(const pml_node *node, const char *name);
int64_t pml_attr_int(const pml_node *node, const char *name, int64_t def);
float pml_attr_float(const pml_node *node, const char *name, float def);
/* Returns the count and sets *values, or -1 if absent. */
int pml_attr_ints(const pml_node *node, const char *name, const int64_t **values);
int pml_attr_floats(const pml_node *node, const char *name, const float **values);
/* The child running graph attribute `name` of a control-flow node, or NULL. */
pml_subgraph *pml_ctx_subgraph(const pml_kernel_ctx *ctx, const char *name);

/* Data of a tensor whose value is known at infer time (constant or computed
 * while planning), else NULL: ops needing it return a clear error then. */
static inline const void *pml_tensor_known_value(const pml_tensor *t) {
    return t && (t->is_const || t->value_known) ? t->data : NULL;
}

/* Shape helpers shared by infer functions. */
int pml_broadcast_shapes(int rank_a, const int64_t *a, int rank_b, const int64_t *b, int *rank_out,
                         int64_t *out); /* 0 ok, -1 incompatible */
void pml_tensor_set_shape(pml_tensor *t, pml_dtype dtype, int rank, const int64_t *dims);
/* "[1,3,224,224]" into buf */
const char *pml_shape_str(int rank, const int64_t *dims, char *buf, size_t cap);

/* ---- fused activations ---------------------------------------------------------
 * Conv, ConvTranspose, Gemm, MatMul, ScaleShift and the binary elementwise ops
 * carry attributes act (pml_act_kind), act_alpha, act_beta. */
/* pml_act_kind: generated, in act_kinds.h; pml_activation and its scalar reference:
 * kernels/activation.h */

/* Reads act/act_alpha/act_beta; returns PML_ERR_UNSUPPORTED (with a node error) for unknown kinds. */
pml_status pml_activation_from_node(const pml_kernel_ctx *ctx, pml_activation *act);

#endif /* PML_INTERNAL_H */
