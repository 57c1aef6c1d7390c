/*
 * kernels/conv/qconv_pack.c — data movement of the int8 convolutions, ISA-independent: the
 * weight packing (per group, as the int8 GEMM's B; depthwise taps in pairs for vpmaddwd,
 * followed by the row-vectorised depthwise kernel's layout where it applies; the stems'
 * window-row quads) and the im2col the GEMM driver calls one M block at a time (int16, or
 * uint8 for the u8 x s8
 * tiles: flipped by 0x80 from int8 x, copied from uint8 x).
 */
#include <string.h>

#include "kernels/conv/s8_conv.h"
#include "kernels/conv/s8_dwconv_pairs.h"
#include "kernels/conv/s8_dwconv_rows.h"

/* The formats im2col writes: int16 (sign-extended), uint8 flipped from int8 x, uint8 copied
 * from uint8 x (already the u8 x s8 tiles' operand). */
enum { A_S16, A_U8_FLIP, A_U8_COPY };

/* n bytes (4 <= n <= 16) of src into dst, each word xor'ed with flip: the first and the last
 * word of the run, overlapping in the middle (both hold the same bytes there). */
static inline void put_short(void *dst, const void *src, int64_t n, uint64_t flip) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8), memcpy(&b, s + n - 8, 8);
        a ^= flip, b ^= flip;
        memcpy(d, &a, 8), memcpy(d + n - 8, &b, 8);
    } else {
        uint32_t a, b;
        memcpy(&a, s, 4), memcpy(&b, s + n - 4, 4);
        a ^= (uint32_t)flip, b ^= (uint32_t)flip;
        memcpy(d, &a, 4), memcpy(d + n - 4, &b, 4);
    }
}

/* One run of n taps' values: copied from src in the format, or (src NULL) the padding value
 * (pad is in x's int8 view: the flip maps it to a uint8 x's own zero point). Returns the
 * next destination element. */
static void *put_run(void *dst, int fmt, const int8_t *src, int64_t n, int16_t pad) {
    if (fmt != A_S16 && src && n >= 4 && n <= 16) {
        /* the stems' window rows (3 channels: 9 or 15 bytes): two overlapping fixed-size words
         * instead of a library call or a byte loop per run */
        put_short(dst, src, n, fmt == A_U8_FLIP ? 0x8080808080808080ull : 0);
        return (uint8_t *)dst + n;
    }
    if (fmt != A_S16) {
        uint8_t *d = (uint8_t *)dst;
        if (!src) memset(d, (uint8_t)pad ^ 0x80u, (size_t)n);
        else if (fmt == A_U8_COPY) memcpy(d, src, (size_t)n);
        else for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)src[i] ^ 0x80u;
        return d + n;
    }
    int16_t *d = (int16_t *)dst;
    if (src) for (int64_t i = 0; i < n; i++) d[i] = src[i];
    else for (int64_t i = 0; i < n; i++) d[i] = pad;
    return d + n;
}

/* The im2col of every A format: rows [m0, m0+mb) into dst, row r at r*ld elements (int16
 * or uint8), the columns from K to ld zeroed. */
static void im2col_rows(const pml_conv_geom *g, const int8_t *x, int64_t grp, int64_t m0, int64_t mb, int16_t pad,
                        void *dst, int64_t ld, int fmt) {
    const int64_t cg = g->cg, k = g->kh * g->kw * cg, esize = fmt == A_S16 ? 2 : 1;
    int64_t ow = m0 % g->ow, oh = m0 / g->ow % g->oh, n = m0 / g->ow / g->oh;
    const int64_t pad_bytes = (ld - k) * esize; /* the K padding at each row's end */
    static const uint32_t zero = 0;
    for (int64_t r = 0; r < mb; r++) {
        void *d = (uint8_t *)dst + r * ld * esize;
        /* zeroed first, as the row's last 4 bytes (the quad/pair padding is at most 3 bytes /
         * 1 int16 and a row at least 4 bytes): the taps then overwrite what is not padding */
        if (pad_bytes > 0 && pad_bytes <= 4 && ld * esize >= 4) memcpy((uint8_t *)d + ld * esize - 4, &zero, 4);
        else if (pad_bytes > 0) memset((uint8_t *)d + k * esize, 0, (size_t)pad_bytes);
        const int8_t *ximg = x + n * g->h * g->w * g->cin + grp * cg;
        const int64_t iw0 = ow * g->sw - g->pl;
        /* a window row inside the image with dilation 1 is kw*cg contiguous bytes when the
         * group spans every channel (the stem: 3x3 or 5x5 taps of 3 channels) */
        const int row_contiguous = g->dw == 1 && cg == g->cin && iw0 >= 0 && iw0 + g->kw <= g->w;
        for (int64_t kh = 0; kh < g->kh; kh++) {
            const int64_t ih = oh * g->sh - g->pt + kh * g->dh;
            if (row_contiguous && ih >= 0 && ih < g->h) {
                d = put_run(d, fmt, ximg + (ih * g->w + iw0) * g->cin, g->kw * cg, pad);
                continue;
            }
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const int64_t iw = ow * g->sw - g->pl + kw * g->dw;
                const int inside = ih >= 0 && ih < g->h && iw >= 0 && iw < g->w;
                d = put_run(d, fmt, inside ? ximg + (ih * g->w + iw) * g->cin : NULL, cg, pad);
            }
        }
        if (++ow == g->ow) {
            ow = 0;
            if (++oh == g->oh) oh = 0, n++;
        }
    }
}

void pml_s8_im2col_s16(const pml_conv_geom *g, const int8_t *x, int64_t grp, int64_t m0, int64_t mb, int16_t pad,
                       int16_t *dst, int64_t ld) {
    im2col_rows(g, x, grp, m0, mb, pad, dst, ld, A_S16);
}

void pml_s8_im2col_u8(const pml_conv_geom *g, const int8_t *x, int64_t grp, int64_t m0, int64_t mb, int8_t pad,
                      uint8_t *dst, int64_t ld) {
    im2col_rows(g, x, grp, m0, mb, pad, dst, ld, A_U8_FLIP);
}

void pml_u8_im2col_u8(const pml_conv_geom *g, const uint8_t *x, int64_t grp, int64_t m0, int64_t mb, int8_t pad,
                      uint8_t *dst, int64_t ld) {
    im2col_rows(g, (const int8_t *)x, grp, m0, mb, pad, dst, ld, A_U8_COPY);
}

size_t pml_qs8_conv_packed_bytes(const pml_conv_geom *g) {
    return (size_t)g->group * pml_qs8_gemm_packed_bytes(g->kh * g->kw * g->cg, g->coutg);
}

void pml_qs8_conv_pack(const pml_qs8_gemm_kernels *kern, const pml_conv_geom *g, const int8_t *w,
                       const pml_qs8_quant *q, void *out) {
    const int64_t k = g->kh * g->kw * g->cg;
    const size_t per_group = pml_qs8_gemm_packed_bytes(k, g->coutg);
    /* OHWI: column co of group grp is k contiguous weights */
    for (int64_t grp = 0; grp < g->group; grp++)
        pml_qs8_gemm_pack(kern, k, g->coutg, w + grp * g->coutg * k, 1, k, q, grp * g->coutg, (uint8_t *)out + grp * per_group);
}

size_t pml_qs8_dwconv_packed_bytes(const pml_conv_geom *g) {
    /* + the row-vectorised kernels' layouts (AVX-512's, AVX2's) */
    return pml_dwpairs_offset(g) + pml_dwpairs_packed_bytes(g);
}

void pml_qs8_dwconv_pack(const pml_conv_geom *g, const int8_t *w, const pml_qs8_quant *q, void *out) {
    const int64_t taps = g->kh * g->kw, tp = pml_qs8_kp(taps), C = g->cout, c_pad = pml_qs8_n_pad(C);
    const size_t data = pml_qs8_dwconv_data_bytes(g);
    pml_qs8_pack_cols(q, 0, taps, tp, C, out, data);
    pml_qs8_cols cols = pml_qs8_cols_at(out, data, c_pad);
    int16_t *dst = (int16_t *)((uint8_t *)out + sizeof(pml_qs8_packed_header));
    for (int64_t c = 0; c < c_pad; c++) {
        const int32_t zw = q->w_zero_point && c < C ? q->w_zero_point[q->w_zp_per_channel ? c : 0] : 0;
        const int64_t b = c / 16, j = c % 16;
        uint32_t sum = 0;
        for (int64_t t = 0; t < tp; t++) {
            const int32_t v = c < C && t < taps ? (int32_t)w[c * taps + t] - zw : 0;
            dst[(b * (tp / 2) + t / 2) * 32 + (j / 8) * 16 + (j % 8) * 2 + t % 2] = (int16_t)v;
            sum += (uint32_t)v;
        }
        if (c < C) pml_qs8_fold_a_zero_point(&cols, c, q->a_zero_point, sum);
    }
    if (pml_dwrows_packed_bytes(g)) pml_dwrows_pack(g, out);
    if (pml_dwpairs_packed_bytes(g)) pml_dwpairs_pack(g, out);
}

size_t pml_qs8_stem_packed_bytes(const pml_conv_geom *g) {
    return (pml_qs8_cols_bytes(pml_qs8_n_pad(g->cout)) + pml_qs8_stem_data_bytes(g) + 63) / 64 * 64;
}

void pml_qs8_stem_pack(const pml_conv_geom *g, const int8_t *w, const pml_qs8_quant *q, void *out) {
    const int64_t qrow = pml_qs8_stem_qrow(g), row_bytes = g->kw * g->cin, quads = g->kh * qrow;
    const int64_t C = g->cout, c_pad = pml_qs8_n_pad(C);
    const size_t data = pml_qs8_stem_data_bytes(g);
    pml_qs8_pack_cols(q, 0, g->kh * row_bytes, quads * 4, C, out, data);
    ((pml_qs8_packed_header *)out)->quads = 1;
    pml_qs8_cols cols = pml_qs8_cols_at(out, data, c_pad);
    int8_t *dst = (int8_t *)out + sizeof(pml_qs8_packed_header);
    for (int64_t c = 0; c < c_pad; c++) {
        int8_t *panel = dst + (c / PML_QS8_NR) * quads * 64 + (c % PML_QS8_NR) * 4;
        uint32_t sum = 0;
        for (int64_t r = 0; r < g->kh; r++)
            for (int64_t b = 0; b < qrow * 4; b++) {
                /* OHWI: the window row r of channel c is row_bytes contiguous weights */
                const int8_t v = c < C && b < row_bytes ? w[(c * g->kh + r) * row_bytes + b] : 0;
                panel[(r * qrow + b / 4) * 64 + b % 4] = v;
                sum += (uint32_t)(int32_t)v;
            }
        if (c < C) pml_qs8_fold_a_zero_point(&cols, c, q->a_zero_point + 128, sum);
    }
}
