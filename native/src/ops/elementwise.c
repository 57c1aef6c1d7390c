/* ops/elementwise.c — elementwise op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_elementwise_ops[] = {NULL};
