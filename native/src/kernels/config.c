/*
 * kernels/config.c — the kernel configurations and the choice between them,
 * made once per session (see config.h). This file and cpu.c are the only
 * places that know about CPU features; the configurations name their ISA's
 * kernels under one architecture #if (the variant lists, kernels/isa.h, and the
 * f32 streaming tables, kernels/elementwise/f32_ew_table__<isa>.c, name them too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/config.h"
#include "kernels/conv/conv.h"
#include "kernels/conv/s8_conv.h"
#include "kernels/pool/pool.h"

/* The type-generic kernels (every dtype but float32's fast path), one member per family;
 * every configuration uses the scalar ones until a family gets SIMD typed kernels (AVX2: the
 * int8/uint8 MaxPool, the integer GEMM of MatMulInteger / ConvInteger, QuantizeLinear float32 ->
 * int8/uint8). */
#define PML_TYPED_WITH(POOL, MATMUL, QUANT)                                                                \
    {                                                                                                      \
        .binary = PML_BINARY_TYPED__SCALAR, .logic = PML_LOGIC_TYPED__SCALAR,                              \
        .reduce = PML_REDUCE_TYPED__SCALAR, .pool = POOL, .index = PML_INDEX_TYPED__SCALAR,                \
        .unary = PML_UNARY_TYPED__SCALAR, .norm = PML_NORM_TYPED__SCALAR,                                  \
        .signal = PML_SIGNAL_TYPED__SCALAR,                                                                \
        .resize = PML_RESIZE_TYPED__SCALAR, .conv = PML_CONV_TYPED__SCALAR,                                \
        .attention = PML_ATTENTION_TYPED__SCALAR, .matmul = MATMUL,                                        \
        .quant = QUANT,                                                                                    \
    }
#define PML_TYPED__SCALAR PML_TYPED_WITH(PML_POOL_TYPED__SCALAR, PML_MATMUL_TYPED__SCALAR, PML_QUANT_TYPED__SCALAR)

/* ---- quantized kernels: the non-GEMM ones (kernels/quant/) are scalar but for AVX2's int8 Add/Sub */
#define PML_QS8_NON_GEMM__SCALAR \
    .binary = pml_s8_qbinary__scalar, \
    .lut = pml_x8_lut__scalar, \
    PML_QS8_NON_GEMM_BUT_BINARY_LUT__SCALAR
#define PML_QS8_NON_GEMM_BUT_BINARY_LUT__SCALAR \
    .binary_s16 = pml_s16_qbinary__scalar, \
    .requant = pml_qrequant__scalar, \
    .quantize_tflite = pml_s8_quantize_tflite__scalar, \
    .quantize_tflite_s16 = pml_s16_quantize_tflite__scalar, \
    .dequantize_tflite = pml_s8_dequantize_tflite__scalar, \
    .dequantize_tflite_s16 = pml_s16_dequantize_tflite__scalar, \
    .clamp = pml_s8_clamp__scalar, \
    .lut_s16 = pml_s16_lut__scalar, \
    .hardswish = pml_s8_hardswish__scalar, \
    .leaky_relu = pml_s8_leaky_relu__scalar, \
    .leaky_relu_s16 = pml_s16_leaky_relu__scalar, \
    .prelu = pml_s8_prelu__scalar, \
    .prelu_s16 = pml_s16_prelu__scalar, \
    .softmax_tflite = pml_qsoftmax_tflite__scalar[0], \
    .sigmoid_s16 = pml_s16_sigmoid__scalar, \
    .softmax_s16 = pml_s16_softmax__scalar, \
    .softmax_onnx = pml_s8_softmax_onnx__scalar, \
    .avgpool = pml_s8_avgpool__scalar, \
    .sum_rows = pml_s8_qsum_rows__scalar, \
    .sum_rows_s16 = pml_s16_qsum_rows__scalar, \
    .mean = pml_s8_qmean__scalar, \
    .mean_s16 = pml_s16_qmean__scalar, \
    .resize_bilinear = pml_s8_resize_bilinear__scalar, \
    .resize_bilinear_s16 = pml_s16_resize_bilinear__scalar, \
    .matmul = pml_s8_qmatmul__scalar, \
    .matmul_s16 = pml_s16_qmatmul__scalar,

#define PML_QU8_NON_GEMM_BUT_LUT__SCALAR \
    .quantize_tflite = pml_u8_quantize_tflite__scalar, \
    .dequantize_tflite = pml_u8_dequantize_tflite__scalar, \
    .hardswish = pml_u8_hardswish__scalar, \
    .leaky_relu = pml_u8_leaky_relu__scalar, \
    .prelu = pml_u8_prelu__scalar, \
    .softmax_tflite = pml_qsoftmax_tflite__scalar[1], \
    .softmax_onnx = pml_u8_softmax_onnx__scalar, \
    .avgpool = pml_u8_avgpool__scalar, \
    .sum_rows = pml_u8_qsum_rows__scalar, \
    .mean = pml_u8_qmean__scalar, \
    .resize_bilinear = pml_u8_resize_bilinear__scalar, \
    .matmul = pml_u8_qmatmul__scalar,

static const pml_qu8_config g_qu8_scalar = {
    .lut = pml_x8_lut__scalar,
    PML_QU8_NON_GEMM_BUT_LUT__SCALAR
};

/* ---- scalar: portable C, complete ---------------------------------------------------- */

static const pml_f32_kernels g_f32_scalar = {
    .isa = "scalar",
    .gemm_mr = 4,
    .gemm = pml_f32_gemm_4x16__scalar,
    .gemm_1 = pml_f32_gemm_4x16__scalar,
    .conv = pml_f32_conv_4x16__scalar,
    .bias_act = pml_f32_bias_act__scalar,
    .sum_act = pml_f32_sum_act__scalar,
    .dwconv = pml_f32_dwconv__scalar,
    .maxpool = pml_f32_maxpool_ref,
    .avgpool = pml_f32_avgpool_ref,
    .norm_row = pml_f32_norm_row__scalar,
    .attn_row = pml_f32_attn_row__scalar,
};

static const pml_f16_config g_f16_scalar = {
    .isa = "scalar",
    .widen = pml_f16_to_f32__scalar,
    .narrow = pml_f32_to_f16__scalar,
};

static const pml_qs8_gemm_kernels g_qs8_mm_scalar = {
    .isa = "scalar",
    .gemm_mr = 4,
    .gemm = pml_s8_gemm_4x16__scalar,
    .gemm_1 = pml_s8_gemm_4x16__scalar,
    .widen = pml_s8_widen__scalar,
    .dwconv = pml_s8_dwconv__scalar,
    .add_in_epilogue = 1,
};

static const pml_qs8_config g_qs8_scalar = {
    .mm = &g_qs8_mm_scalar,
    PML_QS8_NON_GEMM__SCALAR
};

static const pml_kernel_config g_scalar = {
    .name = "scalar",
    .f32 = {.mm = &g_f32_scalar, .ew = &pml_f32_ew__scalar},
    .f16 = &g_f16_scalar,
    .x = {.transpose = {pml_x8_transpose2d__scalar, pml_x16_transpose2d__scalar, pml_x32_transpose2d__scalar,
                        pml_x64_transpose2d__scalar}},
    .typed = PML_TYPED__SCALAR,
    .qs8 = &g_qs8_scalar,
    .qu8 = &g_qu8_scalar,
};

/* ---- x86: AVX2 + FMA + F16C ------------------------------------------------------------ */

#if defined(__x86_64__) || defined(__i386__)
#define PML_CONFIG_X86 1
static const pml_f32_kernels g_f32_avx2 = {
    .isa = "avx2",
    .gemm_mr = 6,
    .gemm = pml_f32_gemm_6x16__avx2_fma,
    .gemm_1 = pml_f32_gemm_1x16__avx2_fma,
    .conv = pml_f32_conv_6x16__avx2_fma,
    .bias_act = pml_f32_bias_act__avx2_fma,
    .sum_act = pml_f32_sum_act__avx2_fma,
    .dwconv = pml_f32_dwconv__avx2_fma,
    .maxpool = pml_f32_maxpool__avx2,
    .avgpool = pml_f32_avgpool__avx2,
    .norm_row = pml_f32_norm_row__avx2_fma,
    .attn_row = pml_f32_attn_row__avx2_fma,
};

static const pml_f16_config g_f16_avx2 = {
    .isa = "avx2",
    .widen = pml_f16_to_f32__avx2,
    .narrow = pml_f32_to_f16__avx2,
};

static const pml_qs8_gemm_kernels g_qs8_mm_avx2 = {
    .isa = "avx2",
    .gemm_mr = 6, /* 6x16 and 4x16 within 5% of each other; 6x16 ahead on most shapes (docs/benchmarks.md) */
    .gemm = pml_s8_gemm_6x16__avx2,
    .gemm_1 = pml_s8_gemm_1x16__avx2,
    .widen = pml_s8_widen__avx2,
    .dwconv = pml_s8_dwconv_rows_or_channels__avx2, /* along the rows where laid out, else channels */
    .dwconv_rows = PML_DW_LAYOUT_PAIRS,
    .stem = pml_u8s8_conv_stem__avx2, /* 1-4 input channels: direct vpmaddwd, 1.1-1.9x im2col + GEMM */
};

static const pml_qs8_config g_qs8_avx2 = {
    .mm = &g_qs8_mm_avx2,
    .binary = pml_s8_qbinary__avx2, /* TFLite's int8 Add/Sub; the other non-GEMM int8 kernels are scalar */
    .lut = pml_x8_lut__avx2,        /* but the byte tables' lookup (activations, Requantize) */
    PML_QS8_NON_GEMM_BUT_BINARY_LUT__SCALAR
};

static const pml_qu8_config g_qu8_avx2 = {
    .lut = pml_x8_lut__avx2,
    PML_QU8_NON_GEMM_BUT_LUT__SCALAR
};

/* Every family but the int8 GEMM and the typed integer GEMM: avx2's, and avx512vnni's (below) too. */
#define PML_CONFIG_AVX2_FAMILIES                                                                            \
    .f32 = {.mm = &g_f32_avx2, .ew = &pml_f32_ew__avx2},                                                    \
    .f16 = &g_f16_avx2,                                                                                     \
    .x = {.transpose = {pml_x8_transpose2d__scalar, pml_x16_transpose2d__scalar, pml_x32_transpose2d__avx2, \
                        pml_x64_transpose2d__scalar}},                                                      \
    .qu8 = &g_qu8_avx2

static const pml_kernel_config g_avx2 = {
    .name = "avx2",
    PML_CONFIG_AVX2_FAMILIES,
    .typed = PML_TYPED_WITH(PML_POOL_TYPED__AVX2, PML_MATMUL_TYPED__AVX2, PML_QUANT_TYPED__AVX2),
    .qs8 = &g_qs8_avx2,
};

static int avx2_supported(const pml_cpu *cpu) { return cpu->avx2 && cpu->fma && cpu->f16c; }

/* ---- x86: AVX-512 F/BW/VL + VNNI (with AVX2 + FMA + F16C) -------------------------------- */
/* The avx2 configuration with the int8 GEMM's MR-row tile replaced by a vpdpwssd one (same
 * packing, widening and epilogue; s8_gemm_tile__avx512vnni.h) and, for weights whose zero
 * points are 0, u8 x s8 vpdpbusd tiles over quad-packed weights (u8s8_gemm_tile__avx512vnni.h)
 * -- MatMulInteger's too (x8_igemm_4x32__avx512vnni.c) --,
 * and the int8 depthwise conv by s8_dwconv__avx512vnni (same packing);
 * every other family is avx2's. */

static const pml_qs8_gemm_kernels g_qs8_mm_avx512vnni = {
    .isa = "avx512vnni",
    .gemm_mr = 6, /* 8x16 and 12x16 zmm tiles measured within 3% of 6x16 (bench_int8_gemm --tile) */
    .gemm = pml_s8_gemm_6x16__avx512vnni,
    .gemm_1 = pml_s8_gemm_1x16__avx2, /* one row is latency-bound on a single zmm chain: avx2's two
                                         ymm chains measured 1.5x faster (FC M=1 K=1280 N=1000) */
    .widen = pml_s8_widen__avx2,
    .dwconv = pml_s8_dwconv__avx512vnni, /* along rows, 4 taps per vpdpbusd (else 32 channels a step) */
    .dwconv_rows = PML_DW_LAYOUT_QUADS,
    .dwconv_cols = pml_s8_dwconv_rows_cols__avx512vnni, /* small maps split by channel blocks */
    /* zero weight zero points (TFLite, ONNX symmetric int8): vpdpbusd, 4 u8 x s8 MACs per lane */
    .u8_mr = 6,
    .u8_gemm = pml_u8s8_gemm_6x16__avx512vnni,
    .u8_gemm_1 = pml_u8s8_gemm_1x16__avx512vnni,
    .u8_gemm_raw2 = pml_u8s8_gemm_raw_6x32__avx512vnni, /* the dense store's blocks: two panels a call */
    .stem = pml_u8s8_conv_stem__avx512vnni, /* 1-4 input channels (the stems): direct, no im2col */
    .add_in_epilogue = 1, /* BlazeFace-like int8 2% faster than conv then Add (bench_int8_residual.py) */
    .dense_store = pml_s8_dense_store__avx512vnni, /* C rows back to back: 16 outputs a vector whatever N */
};

static const pml_qs8_config g_qs8_avx512vnni = {
    .mm = &g_qs8_mm_avx512vnni,
    .binary = pml_s8_qbinary__avx2,
    .lut = pml_x8_lut__avx2,
    PML_QS8_NON_GEMM_BUT_BINARY_LUT__SCALAR
};

static const pml_kernel_config g_avx512vnni = {
    .name = "avx512vnni",
    PML_CONFIG_AVX2_FAMILIES,
    /* MatMulInteger's int8 weights with zero point 0 on vpdpbusd (x8_igemm_4x32__avx512vnni.c) */
    .typed = PML_TYPED_WITH(PML_POOL_TYPED__AVX2, PML_MATMUL_TYPED__AVX512VNNI, PML_QUANT_TYPED__AVX2),
    .qs8 = &g_qs8_avx512vnni,
};

static int avx512vnni_supported(const pml_cpu *cpu) {
    return avx2_supported(cpu) && cpu->avx512f && cpu->avx512bw && cpu->avx512vl && cpu->avx512vnni;
}
#endif

/* ---- the list, best first ---------------------------------------------------------------- */

typedef struct config_entry {
    const pml_kernel_config *config;
    int (*supported)(const pml_cpu *cpu); /* NULL: always */
} config_entry;

static const config_entry g_configs[] = {
#ifdef PML_CONFIG_X86
    {&g_avx512vnni, avx512vnni_supported},
    {&g_avx2, avx2_supported},
#endif
    {&g_scalar, NULL},
};
#define N_CONFIGS (sizeof g_configs / sizeof g_configs[0])

static int supported(const config_entry *e, const pml_cpu *cpu) { return !e->supported || e->supported(cpu); }

const pml_kernel_config *pml_kernel_config_scalar(void) { return &g_scalar; }

const char *pml_kernel_config_available(const pml_cpu *cpu) {
    static _Thread_local char names[128]; /* thread-local: sessions may be created concurrently */
    names[0] = '\0';
    for (size_t i = 0; i < N_CONFIGS; i++) {
        if (!supported(&g_configs[i], cpu)) continue;
        if (names[0]) strncat(names, ",", sizeof names - strlen(names) - 1);
        strncat(names, g_configs[i].config->name, sizeof names - strlen(names) - 1);
    }
    return names;
}

pml_status pml_kernel_config_select(const pml_cpu *cpu, const char *name, const pml_kernel_config **out) {
    *out = NULL;
    for (size_t i = 0; i < N_CONFIGS; i++) {
        const config_entry *e = &g_configs[i];
        if (!supported(e, cpu)) continue;
        if (!name || !*name || strcmp(name, e->config->name) == 0) {
            *out = e->config;
            return PML_OK;
        }
    }
    return PML_ERR_UNSUPPORTED; /* the caller words the error (session.c): kernels set no messages */
}

int pml_kernel_isa_available(const pml_cpu *cpu, const char *isa) {
    if (strcmp(isa, "scalar") == 0) return 1;
#ifdef PML_CONFIG_X86
    if (strcmp(isa, "avx2") == 0 || strcmp(isa, "avx2_fma") == 0) return avx2_supported(cpu);
    if (strcmp(isa, "avx512vnni") == 0) return avx512vnni_supported(cpu);
#endif
    (void)cpu;
    return 0;
}
