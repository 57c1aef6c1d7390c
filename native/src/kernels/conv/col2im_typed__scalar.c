/*
 * kernels/conv/col2im_typed__scalar.c — Col2Im, one macro template instantiated per
 * numeric dtype (storage type T, accumulator A: float32 for the floats, 64-bit for the
 * integers). Gather form: for each output position and each block offset b, the column
 * that put b there is l_i = (pos_i + pad_i - b_i * dilation_i) / stride_i when that
 * divides exactly and lands in [0, n_i); the sum over b is rounded (or wrapped) once.
 */
#include "kernels/conv/conv_typed.h"

#define PML_LD_f32(v) (v)
#define PML_LD_f16(v) pml_f16_to_f32_scalar(v)
#define PML_LD_int(v) (v)
#define PML_ST_f32(v) (v)
#define PML_ST_f16(v) pml_f32_to_f16_scalar(v)
#define PML_ST_int(v) (v)

/* Column index of block offset b (flat over block) for output position pos; -1 when none. */
static int64_t c2i_column(const pml_col2im_params *p, const int64_t *pos, int64_t b) {
    int64_t col = 0, rest = b, l[PML_COL2IM_MAX_AXES];
    for (int i = p->axes - 1; i >= 0; i--) {
        int64_t bi = rest % p->block[i], t = pos[i] + p->pad_begin[i] - bi * p->dilation[i];
        rest /= p->block[i];
        if (t < 0 || t % p->stride[i]) return -1;
        l[i] = t / p->stride[i];
        if (l[i] >= p->blocks[i]) return -1;
    }
    for (int i = 0; i < p->axes; i++) col = col * p->blocks[i] + l[i];
    return col;
}

#define PML_COL2IM(D, T, A, IO)                                                                               \
    static void pml_##D##_col2im__scalar(const pml_col2im_params *p, const void *xv, void *yv, int64_t p0,    \
                                         int64_t p1) {                                                        \
        const T *x = (const T *)xv;                                                                           \
        T *y = (T *)yv;                                                                                       \
        for (int64_t pl = p0; pl < p1; pl++) {                                                                \
            const T *xp = x + pl * p->kernel * p->columns; /* rows c * K .. c * K + K - 1 of image n */      \
            int64_t pos[PML_COL2IM_MAX_AXES] = {0};                                                           \
            for (int64_t e = 0; e < p->plane; e++) {                                                          \
                A acc = 0;                                                                                    \
                for (int64_t b = 0; b < p->kernel; b++) {                                                     \
                    int64_t col = c2i_column(p, pos, b);                                                      \
                    if (col >= 0) acc += (A)PML_LD_##IO(xp[b * p->columns + col]);                          \
                }                                                                                             \
                y[pl * p->plane + e] = (T)PML_ST_##IO(acc);                                                   \
                for (int i = p->axes - 1; i >= 0 && ++pos[i] == p->image[i]; i--) pos[i] = 0;                \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
    const pml_conv_typed pml_##D##_conv_typed__scalar = {.col2im = pml_##D##_col2im__scalar, PML_CAUSAL_##D};

/* the causal conv kernels (causal_conv_typed__scalar.c) exist for the float dtypes */
#define PML_CAUSAL_f32 .causal_conv = pml_f32_causal_conv__scalar
#define PML_CAUSAL_f16 .causal_conv = pml_f16_causal_conv__scalar
#define PML_CAUSAL_s8
#define PML_CAUSAL_u8
#define PML_CAUSAL_s16
#define PML_CAUSAL_u16
#define PML_CAUSAL_s32
#define PML_CAUSAL_u32
#define PML_CAUSAL_s64
#define PML_CAUSAL_u64

PML_COL2IM(f32, float, float, f32)
PML_COL2IM(f16, uint16_t, float, f16)
PML_COL2IM(s8, int8_t, int64_t, int)
PML_COL2IM(u8, uint8_t, uint64_t, int)
PML_COL2IM(s16, int16_t, int64_t, int)
PML_COL2IM(u16, uint16_t, uint64_t, int)
PML_COL2IM(s32, int32_t, int64_t, int)
PML_COL2IM(u32, uint32_t, uint64_t, int)
PML_COL2IM(s64, int64_t, uint64_t, int) /* unsigned sum: wraps without overflow UB */
PML_COL2IM(u64, uint64_t, uint64_t, int)
