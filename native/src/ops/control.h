/*
 * ops/control.h — helpers the control-flow op files share (ops/control.c defines them).
 */
#ifndef PML_OPS_CONTROL_H
#define PML_OPS_CONTROL_H

#include "../internal.h"

/* A child's failure as the node's: "node 'n' (If): then_branch failed running: <its message>". */
pml_status pml_control_child_failed(const pml_kernel_ctx *ctx, pml_status status, const char *role, const char *stage);
/* An output whose dims are known only after the run: the declared dtype and rank, dims 0
 * where symbolic (matching the file's declaration; the op provides its memory). */
void pml_control_unknown_shape(pml_tensor *out, const pml_tensor *declared);
/* Points out at what a child produced (or a buffer the op owns): shape, bytes, data. */
void pml_control_point_output(pml_tensor *out, const pml_tensor *src);
/* Zeroed op state of `size` bytes as ctx->state (NULL when out of memory); freed by pml_control_release. */
void *pml_control_state(pml_kernel_ctx *ctx, size_t size);
void pml_control_release(pml_kernel_ctx *ctx);

#endif /* PML_OPS_CONTROL_H */
