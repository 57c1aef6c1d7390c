/* ops/recurrent.c — Recurrent layers: LSTM, GRU, RNN (ONNX semantics, layouts and directions). */
#include "../internal.h"

const pml_op_def *const pml_recurrent_ops[] = {NULL};
