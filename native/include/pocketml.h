/*
 * pocketml.h — the one public header of the pocketml C runtime.
 *
 * The runtime loads a .pml model (from a file or a memory buffer), verifies it
 * completely before trusting any offset in it, and runs it with a fixed arena
 * planned at session creation (or, for symbolic input dims, when their sizes
 * are first given): nothing is allocated while a model runs.
 * Depends only on libc, libm and pthreads.
 *
 * Usage:
 *
 *     pml_model *model = NULL;
 *     pml_session *session = NULL;
 *     if (pml_model_load_file("model.pml", &model) != PML_OK) {
 *         fprintf(stderr, "%s\n", pml_last_error());
 *         return 1;
 *     }
 *     pml_session_options opts;
 *     pml_session_options_init(&opts);
 *     opts.num_threads = 2;
 *     if (pml_session_create(model, &opts, &session) != PML_OK) { ... }
 *     printf("arena: %zu bytes\n", pml_session_arena_size(session));
 *
 *     pml_tensor_info in;
 *     pml_session_input_info(session, 0, &in);          // name, dtype, shape
 *     pml_session_set_input(session, 0, pixels, nbytes); // copied into the arena
 *     // or, without the copy: void *slot; size_t n;
 *     //   pml_session_input_buffer(session, 0, &slot, &n); then write n bytes to slot
 *     if (pml_session_run(session) != PML_OK) { ... }
 *
 *     const void *out; size_t out_bytes; pml_tensor_info oi;
 *     pml_session_output_info(session, 0, &oi);
 *     pml_session_output_data(session, 0, &out, &out_bytes); // valid until next run
 *
 *     pml_session_free(session);   // sessions must be freed before their model
 *     pml_model_free(model);
 *
 * Full-integer models: an int8/uint8/int16 input or output carries quantization
 * parameters (per tensor here; see pml_quant_info for per channel):
 *
 *     pml_quant_info q;
 *     pml_session_input_quant(session, 0, &q);   // q.count == 0: not quantized
 *     x[i] = clamp(lrintf(real[i] / q.scale[0]) + q.zero_point[0], -128, 127);
 *     pml_session_output_quant(session, 0, &q);
 *     real_out[i] = (out[i] - q.zero_point[0]) * q.scale[0];
 *
 * Dynamic shapes: a model may declare symbolic input dims (batch, sequence).
 * pml_session_input_info reports them as -1 (pml_session_input_dim_name gives
 * their names) until a shape is given; give the concrete shape of each such
 * input, then set the inputs and run as above:
 *
 *     int64_t dims[2] = {batch, seq};
 *     pml_session_set_input_shape(session, 0, 2, dims); // fixed dims must match the model
 *     pml_session_set_input(session, 0, ids, batch * seq * sizeof(int64_t));
 *     pml_session_run(session);
 *     pml_session_output_info(session, 0, &oi);         // concrete output shape of this run
 *
 * A new combination of input shapes re-plans the session (shape inference,
 * kernel preparation, arena) on the next set_input or run; plans are cached
 * per shape combination (options.plan_cache_size, default 8), so returning
 * to a shape seen before costs no planning. Weights are never re-read
 * (pml_model_weight_loads stays 1; pml_session_plan_count counts plans).
 * Set every input after changing shapes. Models without symbolic input dims
 * are planned once, at pml_session_create.
 *
 * Errors: every function that can fail returns a pml_status; on failure a
 * readable message (naming the node, op, dtype or shape involved) is
 * available from pml_last_error() in the calling thread until the next
 * failing call in that thread.
 *
 * Thread safety: a model is immutable once loaded and may be shared by several
 * sessions, which may run concurrently in different threads. A session is used
 * by one thread at a time: every pml_session_* call (set shape/input, run,
 * reading outputs, reset_state, profiling...) must be serialised by the caller
 * (a mutex per session), and output pointers are only valid until the session's
 * next run, so copy them out before releasing the lock. The one exception is
 * pml_session_cancel, which any thread may call while the session runs. A session
 * owns a thread pool of its own (num_threads), used inside a run. The Python
 * binding does exactly this: pocketml.Session holds a lock per session and
 * returns copies.
 *
 * Zero-copy: pml_model_load_file maps the file and uses its weights in place;
 * pml_session_input_buffer gives an input's slot in the arena to write into, and
 * pml_session_output_data the outputs' bytes to read in place.
 */
#ifndef POCKETML_H
#define POCKETML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define PML_API __declspec(dllexport)
#else
#define PML_API __attribute__((visibility("default")))
#endif

/* Version of this header and library (the Python package's version; tests check they match
 * pyproject.toml and pml_version()). Compare PML_VERSION_NUMBER to require a minimum version. */
#define PML_VERSION_MAJOR 0
#define PML_VERSION_MINOR 1
#define PML_VERSION_PATCH 0
#define PML_VERSION_STRING "0.1.0"
#define PML_VERSION_NUMBER (PML_VERSION_MAJOR * 10000 + PML_VERSION_MINOR * 100 + PML_VERSION_PATCH)

#define PML_MAX_RANK 8

typedef enum pml_status {
    PML_OK = 0,
    PML_ERR_INVALID_ARGUMENT = 1, /* bad argument to an API call (NULL, index out of range) */
    PML_ERR_IO = 2,               /* file could not be opened or read */
    PML_ERR_INVALID_MODEL = 3,    /* malformed, truncated, corrupted or hostile model file */
    PML_ERR_UNSUPPORTED = 4,      /* op, dtype or attribute this build does not support */
    PML_ERR_SHAPE = 5,            /* wrong or inconsistent shape */
    PML_ERR_DTYPE = 6,            /* wrong dtype */
    PML_ERR_NOT_FOUND = 7,        /* no input/output of that name */
    PML_ERR_OUT_OF_MEMORY = 8,
    PML_ERR_RUNTIME = 9,          /* data-dependent failure while running (e.g. index out of range) */
    PML_ERR_INTERNAL = 10,
    PML_ERR_CANCELLED = 11        /* the run was stopped by pml_session_cancel */
} pml_status;

/* BEGIN GENERATED: dtypes (`python -m pocketml.ops.codegen`; do not edit inside) */
/* Element types. The numbering is part of the .pml format. */
typedef enum pml_dtype {
    PML_DTYPE_UNDEFINED = 0,
    PML_FLOAT32 = 1,
    PML_FLOAT16 = 2,
    PML_INT8 = 3,
    PML_UINT8 = 4,
    PML_INT32 = 5,
    PML_INT64 = 6,
    PML_BOOL = 7,
    PML_INT16 = 8,
    PML_UINT16 = 9,
    PML_UINT32 = 10,
    PML_UINT64 = 11
} pml_dtype;
#define PML_DTYPE_COUNT 12
/* END GENERATED */

typedef struct pml_model pml_model;     /* immutable loaded model (graph + weights) */
typedef struct pml_session pml_session; /* planned arena, kernels, thread pool */

typedef struct pml_tensor_info {
    const char *name; /* owned by the session; valid while it lives */
    pml_dtype dtype;
    int rank;
    int64_t dims[PML_MAX_RANK];
    size_t nbytes;
} pml_tensor_info;

typedef struct pml_session_options {
    int num_threads;   /* total threads running kernels, including the caller; <= 0 means 1 */
    int scalar_only;   /* 1: same as isa = "scalar" (kept for existing callers) */
    int plan_cache_size; /* plans kept for different input shapes; <= 0 means 8. Packed weights
                          * are shared by all plans; each plan keeps only its shape-dependent
                          * kernel state and arena offsets (see pml_session_state_size) */
    const char *isa;   /* kernel configuration: NULL or "" = the environment variable
                        * POCKETML_ISA if set, else the best one for this CPU; "scalar",
                        * "avx2", ... (see pml_available_isas). An unknown name, or one this
                        * CPU cannot run, fails with PML_ERR_UNSUPPORTED */
    int64_t max_loop_iterations; /* iterations one run of a loop (ONNX Loop, TFLite WHILE) may
                                  * make before the run fails with PML_ERR_INVALID_ARGUMENT
                                  * instead of hanging; <= 0 means 2^24 */
    /* Appended fields: a caller built against an older header has no storage for them, so
     * always fill the struct with pml_session_options_init first. */
    size_t memory_limit; /* bytes this session (with its control-flow subgraphs) may hold for
                          * arenas, packed weights, variables and cached plans' op state; 0 = no
                          * limit. Creating a session, or planning a new input shape (the
                          * set_input or run after pml_session_set_input_shape), whose memory
                          * would exceed it fails with PML_ERR_OUT_OF_MEMORY and a message
                          * naming the bytes required and the limit; the session then keeps
                          * its previous plan and runs other shapes as before. The model's own
                          * weights (mapped, shared by sessions) are not counted */
    int no_spinning;     /* 1: the pool's idle threads (num_threads > 1) sleep at once instead of
                          * spinning ~200 us for the next kernel or run (onnxruntime's
                          * session.intra_op.allow_spinning=0): no CPU burnt while the app is
                          * idle, at a wake-up's latency (5-50 us) per parallel kernel */
} pml_session_options;

/* Version string of the runtime, and the highest .pml format version it reads. */
PML_API const char *pml_version(void);
PML_API uint32_t pml_format_version(void);

/* Message of the last failed call in this thread ("" if none). */
PML_API const char *pml_last_error(void);
PML_API const char *pml_status_string(pml_status status);

/* Load and fully verify a model (header, checksum over every byte, graph).
 *
 * pml_model_load_file maps a regular file read-only (mmap) and uses the mapped pages in
 * place: constants point into the mapping, so the weights are resident once (in the page
 * cache, shared with other processes mapping the same file) and are never copied. The file
 * must therefore stay unchanged while the model is loaded: replace a model file by writing
 * a new file and renaming it over the old one, never by rewriting it in place (truncating a
 * mapped file makes later reads of it fault). Pipes and other files that cannot be mapped,
 * and every file when the environment variable POCKETML_NO_MMAP=1 is set, are read into a
 * private copy instead. The map is released by pml_model_free.
 *
 * pml_model_load_buffer copies the bytes, so the caller may free its buffer as soon as the
 * call returns.
 *
 * pml_model_load_buffer_in_place uses the caller's buffer in place, without a copy (e.g. a
 * model linked into the program or in flash): the buffer must be 64-byte aligned
 * (weights are aligned relative to the file start; else PML_ERR_INVALID_ARGUMENT) and
 * must stay alive and unchanged until pml_model_free of this model returns. */
PML_API pml_status pml_model_load_file(const char *path, pml_model **out_model);
PML_API pml_status pml_model_load_buffer(const void *data, size_t size, pml_model **out_model);
PML_API pml_status pml_model_load_buffer_in_place(const void *data, size_t size, pml_model **out_model);
PML_API void pml_model_free(pml_model *model);

/* Metadata of the model: string key/value pairs the converter wrote (producer, source
 * file, "tflite.signature", ...). Index in [0, count); strings are owned by the model.
 * key/value return NULL for an index out of range; lookup returns NULL for a missing key. */
PML_API int pml_model_metadata_count(const pml_model *model);
PML_API const char *pml_model_metadata_key(const pml_model *model, int index);
PML_API const char *pml_model_metadata_value(const pml_model *model, int index);
PML_API const char *pml_model_metadata_lookup(const pml_model *model, const char *key);

/* How many times this model's weights have been read from file/buffer (1 after
 * load). Sessions and re-plans never re-read them. */
PML_API int pml_model_weight_loads(const pml_model *model);

PML_API void pml_session_options_init(pml_session_options *options);
/* Infers every shape, checks every node, packs weights, plans the arena
 * (deferred until pml_session_set_input_shape when inputs have symbolic dims). */
PML_API pml_status pml_session_create(const pml_model *model, const pml_session_options *options,
                                      pml_session **out_session);
PML_API void pml_session_free(pml_session *session);

PML_API int pml_session_input_count(const pml_session *session);
PML_API int pml_session_output_count(const pml_session *session);
PML_API pml_status pml_session_input_info(const pml_session *session, int index, pml_tensor_info *info);
PML_API pml_status pml_session_output_info(const pml_session *session, int index, pml_tensor_info *info);
/* Quantization parameters of a graph input/output, for full-integer models: feed
 * x = clamp(round(real / scale[c]) + zero_point[c]) and read real = (x - zero_point[c]) * scale[c],
 * c = 0 per tensor (axis -1), else the element's index along axis. count 0: the tensor
 * is not quantized. scale and zero_point point into the model (valid while it lives). */
typedef struct pml_quant_info {
    int axis;                  /* -1: per tensor */
    int count;                 /* 0: not quantized; 1: per tensor; else dims[axis] */
    const float *scale;        /* count values */
    const int32_t *zero_point; /* count values */
} pml_quant_info;
PML_API pml_status pml_session_input_quant(const pml_session *session, int index, pml_quant_info *info);
PML_API pml_status pml_session_output_quant(const pml_session *session, int index, pml_quant_info *info);
PML_API pml_status pml_session_find_input(const pml_session *session, const char *name, int *index);
PML_API pml_status pml_session_find_output(const pml_session *session, const char *name, int *index);

/* Dynamic shapes. Give the concrete shape of input `index`: rank must be the
 * model's, fixed dims must equal the model's (else PML_ERR_SHAPE naming the
 * input, dim and sizes), symbolic ones may be any size >= 0. Takes effect at
 * the next set_input or run (which then plans or re-uses a cached plan, and
 * reports shape errors of the whole graph naming the node). After it,
 * pml_session_input_info reports the given shape. */
PML_API pml_status pml_session_set_input_shape(pml_session *session, int index, int rank, const int64_t *dims);
/* Name of a symbolic dim of an input/output as declared in the model (""
 * when unnamed); NULL when that dim is fixed or the arguments are out of range. */
PML_API const char *pml_session_input_dim_name(const pml_session *session, int index, int dim);
PML_API const char *pml_session_output_dim_name(const pml_session *session, int index, int dim);
/* Plans computed so far (1 for a static model; a cached shape does not count). */
PML_API int pml_session_plan_count(const pml_session *session);

/* 1 if input `index` fixes output shapes: the model reads its value while
 * planning (a Reshape's target shape, Slice bounds, TopK's k... given at run
 * time, directly or through nodes computing them). Its value is part of the
 * plan's key, like the input shapes: a new value plans (or re-uses a cached
 * plan for a value seen before), so set such inputs before the other inputs. */
PML_API int pml_session_input_fixes_shapes(const pml_session *session, int index);
/* 1 if the model has nodes whose output sizes depend on the input values
 * (NonZero, NonMaxSuppression, Unique, Compress): output shapes may then change
 * from run to run at the same input shapes, so read pml_session_output_info after
 * each run (before the first run it reports their upper bounds). The session plans
 * the nodes after such a node once it has run, and caches those plans per size. */
PML_API int pml_session_output_shapes_vary(const pml_session *session);
/* Every variable of the model back to its initial value (models with state: TFLite
 * resource variables, streaming models; a run leaves the values its VariableAssign nodes
 * computed for the next run). Bytes they hold: pml_session_state_bytes. */
PML_API pml_status pml_session_reset_state(pml_session *session);
PML_API size_t pml_session_state_bytes(const pml_session *session);
/* Copy one input into the arena. nbytes must equal the input's byte size.
 * A run consumes the inputs (their arena bytes are reused once their last
 * consumer has run), so set every input before each run: first the inputs
 * that fix shapes (pml_session_input_fixes_shapes), then the others. */
PML_API pml_status pml_session_set_input(pml_session *session, int index, const void *data, size_t nbytes);
/* Write an input in place instead of copying it: *data points at input `index`'s bytes in
 * the arena (*nbytes of them, the input's byte size for the current shapes). Call it after
 * any pml_session_set_input_shape (it plans for the new shapes if needed); it counts as
 * setting the input, so write all *nbytes bytes before the next run. The pointer stays valid
 * until the input shapes change or the session is freed, but a run consumes its inputs: get
 * the buffer (the same pointer) and write it again before every run. Inputs that fix shapes
 * (pml_session_input_fixes_shapes) have no arena slot: PML_ERR_UNSUPPORTED, use set_input. */
PML_API pml_status pml_session_input_buffer(pml_session *session, int index, void **data, size_t *nbytes);
/* Run the whole graph. All inputs must have been set. No allocation. */
PML_API pml_status pml_session_run(pml_session *session);
/* Ask a running pml_session_run to stop: safe to call from any thread while the session
 * runs on another. The run checks the request before every node, and before each iteration
 * of a loop (Loop/While run their bodies through the same check), and returns
 * PML_ERR_CANCELLED; its outputs are then unavailable. pml_session_run clears the request
 * when it starts, so a cancel before a run begins does not stop that run. */
PML_API pml_status pml_session_cancel(pml_session *session);
/* Pointer to an output inside the session's arena, read in place without a copy (valid
 * until the next run, a change of input shapes, or free). */
PML_API pml_status pml_session_output_data(const pml_session *session, int index, const void **data,
                                           size_t *nbytes);

/* Bytes of the activation arena planned for this session (inputs, outputs and
 * intermediates), and bytes of session-owned packed weights and kernel state,
 * for the current input shapes (0 before a model with symbolic inputs is
 * planned). */
PML_API size_t pml_session_arena_size(const pml_session *session);
PML_API size_t pml_session_state_size(const pml_session *session);
PML_API int pml_session_num_threads(const pml_session *session);
/* Name of the session's kernel configuration ("avx2", "scalar"). */
PML_API const char *pml_session_isa(const pml_session *session);
/* Kernel configurations this CPU can run, best first, comma separated
 * ("avx2,scalar"); the values pml_session_options.isa accepts. Static string. */
PML_API const char *pml_available_isas(void);

/* ---- per-node profiling ---------------------------------------------------
 * pml_session_enable_profiling(s, 1) times every node of each following run
 * (totals start at zero; calling it again resets them); 0 switches it off.
 * Off by default, and then runs take no timestamps at all. Times are wall
 * clock per node (kernels that use the thread pool count once). */
typedef struct pml_node_profile {
    const char *name;     /* node name (owned by the model) */
    const char *op;       /* op name, e.g. "Conv" */
    uint64_t total_ns;    /* summed over the profiled runs */
    int plan_time;        /* 1: computed while planning for the current shapes, so it costs no run time */
} pml_node_profile;
PML_API pml_status pml_session_enable_profiling(pml_session *session, int enable);
/* Runs completed since profiling was enabled. */
PML_API uint64_t pml_session_profiled_runs(const pml_session *session);
PML_API int pml_session_node_count(const pml_session *session);
PML_API pml_status pml_session_node_profile(const pml_session *session, int index, pml_node_profile *out);

#ifdef __cplusplus
}
#endif
#endif /* POCKETML_H */
