/* ops/attention.c — Attention: the fused scaled-dot-product Attention op and RotaryEmbedding. */
#include "../internal.h"

const pml_op_def *const pml_attention_ops[] = {NULL};
