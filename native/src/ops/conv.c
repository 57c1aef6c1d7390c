/* ops/conv.c — conv op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_conv_ops[] = {NULL};
