/*
 * kernels/norm/norm_typed__scalar.c — the norm family's per-dtype tables of scalar typed
 * kernels (Hardmax in hardmax_typed__scalar.c, GroupNormalization in
 * group_norm_typed__scalar.c, LpNormalization in lp_norm_typed__scalar.c), which PML_NORM_TYPED__SCALAR puts in every configuration.
 */
#include "kernels/norm/norm_typed.h"

#define PML_NORM_TABLE(D)                                                                                  \
    const pml_norm_typed pml_##D##_norm_typed__scalar = {                                                  \
        .hardmax = pml_##D##_hardmax__scalar, .channel_sums = pml_##D##_channel_sums__scalar,              \
        .group_coeffs = pml_##D##_group_coeffs__scalar, .group_apply = pml_##D##_group_apply__scalar,    \
        .lp_norm = pml_##D##_lp_norm__scalar};

PML_NORM_TABLE(f32)
PML_NORM_TABLE(f16)
