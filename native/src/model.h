/*
 * model.h — the loaded model (struct pml_model) and the .pml file header.
 *
 * Ownership: a model holds the whole file's bytes (`file`, from `source`: a
 * read-only map of the file, a 64-byte-aligned heap copy, or the caller's
 * buffer used in place; model_source.c); constant tensors point into its weights section in place, and
 * strings (names, attribute strings) point into its graph section in place
 * (they were verified NUL-terminated inside it). Every decoded array
 * (tensors, nodes, attributes, index lists, attribute values) lives in the
 * model's pool. A model is immutable after load, so sessions on several
 * threads may share it.
 */
#ifndef PML_MODEL_H
#define PML_MODEL_H

#include "internal.h"

#define PML_FORMAT_VERSION 1u
/* Header flags = features a file requires (docs/format.md). A runtime refuses any bit it does not
 * know; runtimes older than the flags refuse every non-zero value. */
#define PML_FEATURE_QUANTIZED_TENSORS 0x1u /* ops read tensors' quantization parameters */
#define PML_KNOWN_FEATURES PML_FEATURE_QUANTIZED_TENSORS
#define PML_HEADER_SIZE 64u
#define PML_MAGIC "POCKETML"
#define PML_CHECKSUM_OFFSET 60u

/* The 64-byte header (docs/format.md), decoded field by field (little-endian). */
typedef struct pml_file_header {
    uint32_t format_version, header_size;
    uint64_t file_size, graph_offset, graph_size, weights_offset, weights_size;
    uint32_t flags, checksum;
} pml_file_header;

typedef struct pml_metadata_entry {
    const char *key, *value;
} pml_metadata_entry;

typedef struct pml_pool_chunk pml_pool_chunk;

/* Where the file's bytes live and who releases them (model_source.c). */
typedef enum pml_source_kind {
    PML_SOURCE_NONE = 0,
    PML_SOURCE_HEAP,     /* 64-aligned heap copy: freed with the model */
    PML_SOURCE_MAPPED,   /* read-only map of the file: unmapped with the model */
    PML_SOURCE_BORROWED  /* the caller's 64-aligned buffer: never released here */
} pml_source_kind;

typedef struct pml_model_source {
    const uint8_t *bytes;
    size_t size;
    pml_source_kind kind;
} pml_model_source;

struct pml_model {
    const uint8_t *file; /* the whole file, 64-aligned (source.bytes) */
    size_t file_size;
    pml_model_source source;
    pml_file_header header;
    const uint8_t *weights; /* file + weights_offset (64-aligned) */
    const char *producer, *graph_name;

    int n_tensors, n_nodes, n_inputs, n_outputs, n_metadata;
    pml_tensor *tensors; /* constants: data -> weights; others: data NULL (sessions copy these).
                          * A symbolic dim is -1 (never in constants); such tensors have nbytes 0. */
    const char *const **dim_names; /* per tensor: NULL, or rank names ("" = fixed or unnamed dim) when
                                    * the tensor has symbolic dims and the file names them */
    pml_node *nodes;     /* topologically sorted, verified */
    int *inputs, *outputs;
    pml_metadata_entry *metadata;

    /* Subgraphs (GRAPH attributes of control-flow nodes): views holding one graph each
     * (graph_name, tensors, dim_names, nodes, inputs, outputs and their counts), sharing the
     * main model's file, weights and pool; destroyed with it, never on their own. A graph
     * refers only to subgraphs after it (verified), so nesting never loops. */
    int n_subgraphs;
    struct pml_model *subgraphs;
    int subgraph_index; /* -1: the main graph; else this view's index */

    int weight_loads;
    pml_pool_chunk *pool; /* owns every decoded array */
    size_t copy_budget;   /* bytes of attribute/index arrays still allowed to be copied */
};

/* CRC-32 of bytes [0,60) and [64,size) — the value stored at offset 60. */
uint32_t pml_file_checksum(const uint8_t *buf, size_t size);

/* Decode and check the header against the real size, then the checksum. */
pml_status pml_file_verify_header(const uint8_t *buf, size_t size, pml_file_header *header);
/* The same with the checksum already computed (crc: pml_file_checksum of the bytes). */
pml_status pml_file_verify_header_crc(const uint8_t *buf, size_t size, uint32_t crc, pml_file_header *header);

/* Loaders behind the public API (arguments already validated by api.c). */
pml_status pml_model_open_file(const char *path, pml_model **out);
pml_status pml_model_open_buffer(const void *data, size_t size, pml_model **out);
/* Uses the caller's 64-aligned buffer in place (it must outlive the model, unchanged). */
pml_status pml_model_open_buffer_in_place(const void *data, size_t size, pml_model **out);
void pml_model_destroy(pml_model *model);

/* Model sources (model_source.c). open_file maps a regular file when allow_map is set and
 * mmap works, else reads it (pipes too) into a heap copy. */
pml_status pml_source_open_file(const char *path, int allow_map, pml_model_source *out);
pml_status pml_source_copy(const void *data, size_t size, pml_model_source *out);
pml_status pml_source_borrow(const void *data, size_t size, pml_model_source *out);
void pml_source_release(pml_model_source *src);
/* Drops the whole pages of [p, p+n) of a mapped source from the resident set (no-op for other
 * sources); they are read back from the file if used again. */
void pml_source_drop_pages(const pml_model_source *src, const void *p, size_t n);
/* After a session packed node n's constant inputs into its own layout: their mapped pages
 * leave the resident set (a model whose file is not mapped, or a subgraph view: no-op). */
void pml_model_drop_packed_inputs(const pml_model *m, const pml_node *n);

/* Op name for a code ("?" for unknown codes). */
const char *pml_op_name(int op);

#endif
