/*
 * kernels/quant/qsigmoid16.h — TFLite int16x8 LOGISTIC and TANH (zero points 0, output scale
 * 2^-15), as LiteRT's builtin kernels compute them (activations.cc SigmoidPrepare/TanhPrepare
 * and SigmoidEval/TanhEval for kTfLiteInt16):
 *
 *   table path  (the input scale is not the power of two the fixed-point path wants):
 *       reference_integer_ops::Logistic / Tanh: the input is rescaled to 1/(3 * 4096) per step
 *       ((x * multiplier + round) >> shift, multiplier = (int)(in_scale * 12288 * 2^shift) with
 *       the smallest shift that brings it above 16383.5), then |v| indexes a 256-entry table of
 *       sigmoid(i / 24) in 0.16 (LiteRT's hard-coded sigmoid_table_uint16; logistic: 9 fraction
 *       bits interpolated, tanh = 2 sigmoid(2v) - 1: 8), and the sign folds the result.
 *   fixed-point path  (in_scale == 2^-12, tanh also 2^-11: the input is gemmlowp Q3.12, or
 *       Q3.12 after a saturating doubling): optimized_ops::Logistic / Tanh on int16, i.e.
 *       gemmlowp::logistic / gemmlowp::tanh evaluated in 16-bit fixed point.
 *
 * The table is rebuilt here from its definition instead of being copied: entry i is
 * 65536 * sigmoid(i / 24) lowered by half of the error that linear interpolation makes at the
 * midpoint to the next entry, rounded (the nearest rounding is 0.004 away from a tie, far
 * beyond double's error); the last entry is pinned to 0xFFFF, the saturated value LiteRT's
 * table ends on.
 */
#ifndef PML_KERNELS_QSIGMOID16_H
#define PML_KERNELS_QSIGMOID16_H

#include "kernels/common.h"

typedef struct pml_qsigmoid16_params {
    int32_t is_tanh;
    int32_t fixed_point;          /* 1: gemmlowp path; 0: table path */
    int32_t multiplier, shift;    /* table path: v = (x * multiplier + round) >> shift; fixed: shift 0/1 */
    uint16_t table[256];          /* sigmoid(i / 24) in 0.16 */
} pml_qsigmoid16_params;

/* What SigmoidPrepare/TanhPrepare decide for an int16 input of scale in_scale (zero points 0,
 * output scale 2^-15: the caller checks them, see pml_qsigmoid16_output_ok). Returns 0, or -1
 * for a scale that is not finite and > 0. */
int pml_qsigmoid16_params_init(pml_qsigmoid16_params *p, int is_tanh, float in_scale);

/* TFLite's output check: LOGISTIC wants out_scale == 1/32768 exactly, TANH a scale whose log2
 * rounds to -15 (CheckedLog2: within 1e-3); both zero point 0. Returns 1 when accepted. */
int pml_qsigmoid16_output_ok(int is_tanh, float out_scale, int32_t out_zp);

/* tflite::CheckedLog2: *log2 = round(log(x) / log(2)) in float; 1 when x is that power of two
 * within 1e-3 in the exponent. */
int pml_checked_log2(float x, int *log2);

typedef void (*pml_qsigmoid16_fn)(size_t n, const int16_t *x, int16_t *y, const pml_qsigmoid16_params *p);
void pml_s16_sigmoid__scalar(size_t n, const int16_t *x, int16_t *y, const pml_qsigmoid16_params *p);

/* The gemmlowp fixed-point functions on one int16 value in Q3.12 (result Q0.15), exposed for
 * the tests. */
int16_t pml_s16_logistic_q3(int16_t x);
int16_t pml_s16_tanh_q3(int16_t x);

#endif /* PML_KERNELS_QSIGMOID16_H */
