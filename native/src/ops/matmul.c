/* ops/matmul.c — matmul op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_matmul_ops[] = {NULL};
