/* ops/norm.c — norm op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_norm_ops[] = {NULL};
