/* ops/pool.c — pool op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_pool_ops[] = {NULL};
