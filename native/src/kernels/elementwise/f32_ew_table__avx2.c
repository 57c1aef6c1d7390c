/*
 * kernels/elementwise/f32_ew_table__avx2.c — the AVX2/FMA/F16C float32 kernel table
 * (pml_ew_kernels, see ew_kernels.h): the vector kernels of the family folders where
 * they pay off, the scalar references elsewhere. Only used when the CPU has AVX2, FMA
 * and F16C (kernels/config.c).
 */
#include "kernels/elementwise/ew_kernels.h"

const pml_ew_kernels pml_f32_ew__avx2 = {
    .isa = "avx2",
    .vv = {pml_f32_vadd__avx2, pml_f32_vsub__avx2, pml_f32_vmul__avx2, pml_f32_vdiv__avx2, pml_f32_vpow__scalar,
           pml_f32_vmax__avx2, pml_f32_vmin__avx2, pml_f32_vprelu__avx2},
    .vs = {pml_f32_vadds__avx2, pml_f32_vsubs__avx2, pml_f32_vmuls__avx2, pml_f32_vdivs__avx2, pml_f32_vpows__scalar,
           pml_f32_vmaxs__avx2, pml_f32_vmins__avx2, pml_f32_vprelus__avx2},
    .sv = {pml_f32_saddv__avx2, pml_f32_ssubv__avx2, pml_f32_smulv__avx2, pml_f32_sdivv__avx2, pml_f32_spowv__scalar,
           pml_f32_smaxv__avx2, pml_f32_sminv__avx2, pml_f32_spreluv__avx2},
    .unary = PML_F32_UNARY_TABLE_AVX2,
    .compare = pml_f32_compare__avx2,
    .select32 = pml_x32_select__avx2,
    .scale_shift = pml_f32_scale_shift__avx2,
    .softmax_row = pml_f32_softmax_row__avx2,
    .softmax_strided = pml_f32_softmax_strided__avx2,
    .sum = pml_f32_sum__avx2,
    .max = pml_f32_max__avx2,
    .acc_add = pml_f32_acc_add__avx2,
    .acc_max = pml_f32_acc_max__avx2,
    .f32_to_f16 = pml_f32_to_f16__avx2,
    .f16_to_f32 = pml_f16_to_f32__avx2,
};
