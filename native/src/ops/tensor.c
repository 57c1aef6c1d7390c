/* ops/tensor.c — tensor op family (placeholder until its kernels land). */
#include "../internal.h"

const pml_op_def *const pml_tensor_ops[] = {NULL};
