/*
 * ops_table.c — the op table: maps each PML_OP_* code to the op definition
 * exported by its family (ops/<family>.c exports a NULL-terminated array
 * pml_<family>_ops). Built once, on first lookup.
 */
#include <pthread.h>

#include "internal.h"

extern const pml_op_def *const pml_elementwise_ops[];
extern const pml_op_def *const pml_unary_ops[];
extern const pml_op_def *const pml_logic_ops[];
extern const pml_op_def *const pml_conv_ops[];
extern const pml_op_def *const pml_matmul_ops[];
extern const pml_op_def *const pml_pool_ops[];
extern const pml_op_def *const pml_norm_ops[];
extern const pml_op_def *const pml_tensor_ops[];
extern const pml_op_def *const pml_reduce_ops[];
extern const pml_op_def *const pml_recurrent_ops[];
extern const pml_op_def *const pml_attention_ops[];
extern const pml_op_def *const pml_signal_ops[];
extern const pml_op_def *const pml_select_ops[];
extern const pml_op_def *const pml_state_ops[];
extern const pml_op_def *const pml_quant_ops[];
extern const pml_op_def *const pml_quant_tensor_ops[];
extern const pml_op_def *const pml_control_ops[];

static const pml_op_def *g_table[PML_OP_MAX_CODE + 1];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
    const pml_op_def *const *families[] = {pml_elementwise_ops, pml_unary_ops, pml_logic_ops,
                                           pml_conv_ops, pml_matmul_ops, pml_pool_ops,
                                           pml_norm_ops,        pml_tensor_ops, pml_reduce_ops, pml_recurrent_ops,
                                           pml_attention_ops,   pml_signal_ops,  pml_select_ops,
                                           pml_state_ops,       pml_quant_ops,  pml_control_ops,
                                           pml_quant_tensor_ops};
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const pml_op_def *const *d = families[f]; *d; d++)
            if ((*d)->op >= 0 && (*d)->op <= PML_OP_MAX_CODE) g_table[(*d)->op] = *d;
}

const pml_op_def *pml_op_lookup(int op) {
    pthread_once(&g_once, build_table);
    if (op < 0 || op > PML_OP_MAX_CODE) return NULL;
    return g_table[op];
}
