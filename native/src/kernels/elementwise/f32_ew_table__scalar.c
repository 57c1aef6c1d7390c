/*
 * kernels/elementwise/f32_ew_table__scalar.c — the scalar float32 kernel table
 * (pml_ew_kernels, see ew_kernels.h): the reference of every entry. The kernels live in
 * their family folders (elementwise, unary, logic, norm, reduce).
 */
#include "kernels/elementwise/ew_kernels.h"

const pml_ew_kernels pml_f32_ew__scalar = {
    .isa = "scalar",
    .vv = {pml_f32_vadd__scalar, pml_f32_vsub__scalar, pml_f32_vmul__scalar, pml_f32_vdiv__scalar,
           pml_f32_vpow__scalar, pml_f32_vmax__scalar, pml_f32_vmin__scalar, pml_f32_vprelu__scalar},
    .vs = {pml_f32_vadds__scalar, pml_f32_vsubs__scalar, pml_f32_vmuls__scalar, pml_f32_vdivs__scalar,
           pml_f32_vpows__scalar, pml_f32_vmaxs__scalar, pml_f32_vmins__scalar, pml_f32_vprelus__scalar},
    .sv = {pml_f32_saddv__scalar, pml_f32_ssubv__scalar, pml_f32_smulv__scalar, pml_f32_sdivv__scalar,
           pml_f32_spowv__scalar, pml_f32_smaxv__scalar, pml_f32_sminv__scalar, pml_f32_spreluv__scalar},
    .unary = PML_F32_UNARY_TABLE_SCALAR,
    .compare = pml_f32_compare__scalar,
    .select32 = pml_x32_select__scalar,
    .scale_shift = pml_f32_scale_shift__scalar,
    .softmax_row = pml_f32_softmax_row__scalar,
    .softmax_strided = pml_f32_softmax_strided__scalar,
    .sum = pml_f32_sum__scalar,
    .max = pml_f32_max__scalar,
    .acc_add = pml_f32_acc_add__scalar,
    .acc_max = pml_f32_acc_max__scalar,
    .f32_to_f16 = pml_f32_to_f16__scalar,
    .f16_to_f32 = pml_f16_to_f32__scalar,
};
