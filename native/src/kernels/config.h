/*
 * kernels/config.h — the kernel configuration: every microkernel a session
 * may call, chosen once at session creation from the CPU's features (or a
 * forced name), and the only place where an ISA is chosen.
 *
 * A configuration is a set of per-dtype sub-tables. Ops read the one of their
 * session through ctx->config in prepare and keep the pointers they need; no
 * op tests CPU features or forks on a missing kernel: every entry of every
 * configuration is set (the scalar configuration is complete, and an ISA
 * configuration points the kernels it does not vectorise at the scalar ones).
 *
 *   scalar  portable C, every architecture (the oracle of the others)
 *   avx2    x86-64 with AVX2 + FMA + F16C
 *   avx512vnni  avx2 + AVX-512 F/BW/VL/VNNI: avx2's tables with VNNI int8 GEMM tiles
 *
 * Adding an ISA: a new static configuration in config.c, its availability
 * test there, and its kernel files (see docs/adding-a-kernel.md).
 */
#ifndef PML_KERNELS_CONFIG_H
#define PML_KERNELS_CONFIG_H

#include <stddef.h>

#include "kernels/cpu.h"
#include "kernels/attention/attention_typed.h" /* pml_attention_typed */
#include "kernels/conv/conv_typed.h"           /* pml_conv_typed */
#include "kernels/elementwise/binary_typed.h" /* pml_binary_typed */
#include "kernels/elementwise/ew_kernels.h"   /* pml_ew_kernels: unary/binary/logic/softmax/reduce/convert */
#include "kernels/index/index_typed.h"        /* pml_index_typed */
#include "kernels/logic/logic_typed.h"        /* pml_logic_typed */
#include "kernels/matmul/gemm.h"              /* pml_f32_kernels: gemm/conv/dwconv/pool/norm row/attention row */
#include "kernels/matmul/matmul_typed.h"      /* pml_matmul_typed */
#include "kernels/matmul/s8_gemm.h"           /* pml_qs8_gemm_kernels: int8 gemm/widen/dwconv */
#include "kernels/norm/norm_typed.h"          /* pml_norm_typed */
#include "kernels/pool/pool_typed.h"          /* pml_pool_typed */
#include "kernels/quant/qactivation.h"        /* quantized LUT, HardSwish, LeakyRelu, PRelu */
#include "kernels/quant/qelementwise.h"       /* quantized Add/Sub/Mul, requantize, quantize */
#include "kernels/quant/qmatmul.h"            /* quantized product of two run-time operands */
#include "kernels/quant/qpool.h"              /* quantized AveragePool, Mean, bilinear Resize */
#include "kernels/quant/qsoftmax.h"           /* quantized Softmax */
#include "kernels/quant/qsigmoid16.h"         /* TFLite int16 Logistic/Tanh */
#include "kernels/quant/qsoftmax16.h"         /* TFLite int16 Softmax */
#include "kernels/quant/quant_typed.h"        /* pml_quant_typed */
#include "kernels/reduce/reduce_typed.h"      /* pml_reduce_typed */
#include "kernels/signal/signal.h"           /* pml_signal_typed */
#include "kernels/resize/resize_typed.h"      /* pml_resize_typed */
#include "kernels/tensor/transpose.h"         /* pml_transpose2d_fn */
#include "kernels/unary/unary_typed.h"        /* pml_unary_typed */

/* float32: every family the engine runs on floats today. */
typedef struct pml_f32_config {
    const pml_f32_kernels *mm;  /* matmul/conv/pool/norm/attention: gemm ukernels, mr, epilogues,
                                   implicit-GEMM conv tile, dwconv, pools, norm row, attention row */
    const pml_ew_kernels *ew;   /* unary, binary vv/vs/sv, compare, select, scale_shift, softmax
                                   row/strided, sum/max/acc reductions, f16<->f32 conversion */
} pml_f32_config;

/* Data movement by element size only (x8/x16/x32/x64). */
typedef struct pml_x_config {
    pml_transpose2d_fn transpose[4]; /* index: log2 of the element size */
} pml_x_config;

/* Type-generic scalar kernels of every dtype other than float32's fast paths: one member
 * per family, each indexed by dtype code (NULL where the family does not take the dtype). */
typedef struct pml_typed_config {
    const pml_binary_typed *binary[PML_DTYPE_COUNT]; /* elementwise: Add Sub Mul Div Pow Max Min Mod PRelu */
    const pml_logic_typed *logic[PML_DTYPE_COUNT];   /* logic: comparisons, Where, And/Or/Xor/Not (bool) */
    const pml_reduce_typed *reduce[PML_DTYPE_COUNT]; /* reductions, ArgMax/ArgMin */
    const pml_pool_typed *pool[PML_DTYPE_COUNT];     /* MaxPool */
    const pml_index_typed *index[PML_DTYPE_COUNT];   /* TopK, CumSum, scatter reductions, Range */
    const pml_unary_typed *unary[PML_DTYPE_COUNT];   /* unary: every unary op, Clip, Cast, Shrink */
    const pml_norm_typed *norm[PML_DTYPE_COUNT];     /* norm: Hardmax */
    const pml_signal_typed *signal[PML_DTYPE_COUNT]; /* signal: DFT/STFT line moves and FFT */
    const pml_resize_typed *resize[PML_DTYPE_COUNT]; /* resize: GridSample, AffineGrid */
    const pml_conv_typed *conv[PML_DTYPE_COUNT];     /* conv: Col2Im */
    const pml_attention_typed *attention[PML_DTYPE_COUNT]; /* attention: LinearAttention */
    const pml_matmul_typed *matmul[PML_DTYPE_COUNT];       /* matmul: Det, integer GEMM (MatMulInteger, ConvInteger) */
    const pml_quant_typed *quant[PML_DTYPE_COUNT];         /* quant: Quantize/DequantizeLinear (by integer dtype) */
} pml_typed_config;

/* float16 arithmetic of the GEMM families (MatMul, Gemm, Conv, ConvTranspose; ops/f16_bridge.c).
 * Every configuration computes it by widening today, with onnxruntime's CPU semantics: f16
 * operands convert exactly to f32 in the op's scratch, the f32 kernels accumulate (bias,
 * residual and fused activation included) and the result rounds to f16 once. The scalar
 * table converts in portable C, avx2's with F16C. Native fp16 kernels (NEON fp16) join here. */
typedef struct pml_f16_config {
    const char *isa;
    pml_f16_to_f32_fn widen;  /* operands and constant weights -> f32 */
    pml_f32_to_f16_fn narrow; /* f32 results -> f16, round to nearest even */
} pml_f16_config;

/* Quantized (int8 engine) kernels: the op picks them by its tensors' dtype and its `requant`
 * attribute (TFLite fixed point / ONNX float, kernels/requant.h). uint8 tensors use the
 * int8 kernels with the sign bit flipped wherever that is exact; pml_qu8_config holds the
 * kernels whose uint8 arithmetic differs (rounding of unsigned sums, uint8 tables). */
typedef struct pml_qs8_config {
    /* ---- GEMM, convolution, depthwise conv (kernels/matmul/s8_gemm.h) ---- */
    const pml_qs8_gemm_kernels *mm; /* exact int8 GEMM micro-kernel + its MR, A widening, depthwise conv */
    /* ---- non-GEMM kernels (kernels/quant/q{elementwise,activation,softmax,pool}.h) ---- */
    const pml_qbinary_kernels *binary;      /* [PML_QBIN_ADD/SUB/MUL]: vv, vs, sv on int8 */
    const pml_qbinary_kernels *binary_s16;  /* the same on int16 (TFLite int16x8) */
    const pml_qrequant_fn (*requant)[PML_QTYPE_COUNT]; /* [in][out]: int8, uint8, int16 */
    pml_quantize_tflite_fn quantize_tflite;     /* float32 -> int8 (TFLite rounding) */
    pml_quantize_tflite_fn quantize_tflite_s16; /* float32 -> int16 */
    pml_dequantize_tflite_fn dequantize_tflite, dequantize_tflite_s16; /* LiteRT's x86 DEQUANTIZE */
    void (*clamp)(size_t n, const int8_t *x, int8_t *y, int32_t lo, int32_t hi);
    pml_x8_lut_fn lut;                      /* 256-entry table on bytes (pml_qlut_build) */
    pml_s16_lut_fn lut_s16;                 /* TFLite's interpolated 513-entry int16 table (pml_qlut16_build) */
    pml_qhardswish_fn hardswish;            /* TFLite fixed point */
    pml_qleaky_fn leaky_relu, leaky_relu_s16;
    pml_qprelu_fn prelu, prelu_s16;
    const pml_qsoftmax_fn *softmax_tflite;  /* int8 in; [out]: int8, uint8, int16 */
    pml_qsigmoid16_fn sigmoid_s16;          /* TFLite int16 LOGISTIC / TANH (qsigmoid16.h) */
    pml_qsoftmax16_fn softmax_s16;          /* TFLite int16 SOFTMAX rows (qsoftmax16.h) */
    pml_qsoftmax_fn softmax_onnx;           /* int8 in and out */
    pml_qavgpool_fn avgpool;
    pml_qsum_rows_fn sum_rows, sum_rows_s16;
    pml_qmean_fn mean, mean_s16;
    pml_qresize_bilinear_fn resize_bilinear, resize_bilinear_s16;
    pml_qmatmul_fn matmul;                  /* both operands at run time (BATCH_MATMUL) */
    pml_qmatmul_fn matmul_s16;              /* the same on int16 (TFLite int16x8, int64 accumulator) */
    /* ---- end of non-GEMM kernels ---- */
} pml_qs8_config;

typedef struct pml_qu8_config {
    /* ---- non-GEMM kernels (see pml_qs8_config) ---- */
    pml_quantize_tflite_fn quantize_tflite; /* float32 -> uint8 */
    pml_dequantize_tflite_fn dequantize_tflite;
    pml_x8_lut_fn lut;
    pml_qhardswish_fn hardswish;
    pml_qleaky_fn leaky_relu;
    pml_qprelu_fn prelu;
    const pml_qsoftmax_fn *softmax_tflite;  /* uint8 in; [out]: int8, uint8, int16 */
    pml_qsoftmax_fn softmax_onnx;           /* uint8 in and out */
    pml_qavgpool_fn avgpool;                /* TFLite's unsigned rounding */
    pml_qsum_rows_fn sum_rows;
    pml_qmean_fn mean;
    pml_qresize_bilinear_fn resize_bilinear;
    pml_qmatmul_fn matmul;
    /* ---- end of non-GEMM kernels ---- */
} pml_qu8_config;

typedef struct pml_kernel_config {
    const char *name;                 /* "scalar", "avx2", "avx512vnni": what pml_session_isa reports */
    pml_f32_config f32;
    pml_x_config x;
    pml_typed_config typed;
    const pml_f16_config *f16;        /* float16 GEMM families (set in every configuration) */
    const pml_qs8_config *qs8;        /* quantized int8 kernels (set in every configuration) */
    const pml_qu8_config *qu8;        /* quantized uint8 kernels (set in every configuration) */
} pml_kernel_config;

/* The scalar configuration (always available). */
const pml_kernel_config *pml_kernel_config_scalar(void);

/* The configuration for this CPU: the best available when name is NULL or
 * "", else the named one. Unknown or unsupported names fail with
 * PML_ERR_UNSUPPORTED (no message: the caller lists pml_kernel_config_available). */
pml_status pml_kernel_config_select(const pml_cpu *cpu, const char *name, const pml_kernel_config **out);

/* Names of the configurations this CPU can run, best first, comma separated
 * ("avx512vnni,avx2,scalar"); a static string. */
const char *pml_kernel_config_available(const pml_cpu *cpu);

/* 1 when this CPU runs the kernels of files suffixed __<isa> ("scalar", "avx2",
 * "avx2_fma", "avx512vnni"; see kernels/isa.h for which ones this architecture builds). */
int pml_kernel_isa_available(const pml_cpu *cpu, const char *isa);

/* Transpose kernel for elements of esize bytes (1, 2, 4 or 8). */
static inline pml_transpose2d_fn pml_config_transpose(const pml_kernel_config *c, size_t esize) {
    return c->x.transpose[esize == 1 ? 0 : esize == 2 ? 1 : esize == 4 ? 2 : 3];
}

#endif /* PML_KERNELS_CONFIG_H */
