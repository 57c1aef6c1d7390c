/* ops/reduce.c — reduce op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_reduce_ops[] = {NULL};
