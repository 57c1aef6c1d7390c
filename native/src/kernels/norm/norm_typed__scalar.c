/*
 * kernels/norm/norm_typed__scalar.c — the norm family's per-dtype tables of scalar typed
 * kernels (Hardmax in hardmax_typed__scalar.c, GroupNormalization in
 * group_norm_typed__scalar.c, LpNormalization in lp_norm_typed__scalar.c), which
 * PML_NORM_TYPED__SCALAR puts in every configuration.
 */
#include "kernels/norm/norm_typed.h"

const pml_norm_typed pml_f32_norm_typed__scalar = {
    .hardmax = pml_f32_hardmax__scalar, .channel_sums = pml_f32_channel_sums__scalar,
    .group_coeffs = pml_f32_group_coeffs__scalar, .group_apply = pml_f32_group_apply__scalar,
    .lp_norm = pml_f32_lp_norm__scalar};
/* GroupNormalization's row passes: float16 widens to the float32 ones (ops/norm_group.c) */
const pml_norm_typed pml_f16_norm_typed__scalar = {
    .hardmax = pml_f16_hardmax__scalar, .group_coeffs = pml_f16_group_coeffs__scalar,
    .lp_norm = pml_f16_lp_norm__scalar};
