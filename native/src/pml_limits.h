/*
 * pml_limits.h — the size limits every layer checks against, defined once.
 * With these caps no index or byte arithmetic in int64/size_t can overflow;
 * the loader, the planner and the ops' infer enforce them before any kernel
 * runs. (Not named limits.h: src/ is an include directory and would shadow
 * the C library's <limits.h>.)
 */
#ifndef PML_LIMITS_H
#define PML_LIMITS_H

#include <stdint.h>

/* Largest element count any tensor may have (2^40 elements = 8 TB of f64). */
#define PML_MAX_NUMEL ((int64_t)1 << 40)
#define PML_EW_MAX_NUMEL PML_MAX_NUMEL /* the name the elementwise ops use */
/* Largest dim and largest window attribute (kernel size, stride, pad, dilation). */
#define PML_MAX_DIM ((int64_t)1 << 31)
#define PML_MAX_WINDOW_ATTR ((int64_t)1 << 20)
/* Largest tensor or arena in bytes, and the loader's graph size caps. */
#define PML_MAX_TENSOR_BYTES ((uint64_t)1 << 48)
#define PML_MAX_TENSORS (1 << 24)
#define PML_MAX_NODES (1 << 24)
/* Control flow: subgraphs in a file, how deeply they nest, and the nodes of the main graph
 * plus every subgraph once per node running it (what sessions build: child sessions). */
#define PML_MAX_SUBGRAPHS 4096
#define PML_MAX_SUBGRAPH_DEPTH 16
#define PML_MAX_EXPANDED_NODES (1 << 22)

#endif /* PML_LIMITS_H */
