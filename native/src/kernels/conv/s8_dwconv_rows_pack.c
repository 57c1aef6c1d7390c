/*
 * kernels/conv/s8_dwconv_rows_pack.c — the row-vectorised int8 depthwise conv's plan and
 * weight layout (kernels/conv/s8_dwconv_rows.h), built from the depthwise packing.
 */
#include <string.h>

#include "kernels/conv/s8_dwconv_rows.h"

static int64_t gcd16(int64_t c) {
    int64_t g = 16;
    while (c % g) g /= 2;
    return g;
}

int pml_dwrows_plan_make(const pml_conv_geom *g, pml_dwrows_plan *p) {
    const int64_t C = g->cout, s = g->sw, d = g->dw;
    memset(p, 0, sizeof *p);
    if (!pml_qs8_dwconv_eligible(g) || C > PML_DWROWS_MAX_C || g->kh > PML_DWROWS_MAX_KH ||
        s > PML_DWROWS_MAX_STRIDE || (s > 1 && d > 1) || (g->kh - 1) * g->dh + 1 > PML_DWROWS_MAX_SLOTS || g->ow < 1)
        return 0;
    const int64_t unit = s == 1 ? d : 1; /* a phase line's tap spacing, in pixels */
    p->C = C, p->s = s, p->quad_stride = unit * C;
    p->slots = (g->kh - 1) * g->dh + 1;
    p->period = C * (16 / gcd16(C));
    int64_t max_offset = 0;
    for (int64_t ph = 0; ph < s; ph++) {
        int64_t kmax = -1; /* tap kw sits in line kw*d % s at pixel kw*d / s: the unit-th k */
        for (int64_t kw = 0; kw < g->kw; kw++)
            if (kw * d % s == ph && kw * d / s / unit > kmax) kmax = kw * d / s / unit;
        for (int64_t k0 = 0; k0 <= kmax; k0 += 4) {
            if (p->quads == PML_DWROWS_MAX_QUADS) return 0;
            pml_dwrows_quad *t = &p->quad[p->quads++];
            t->phase = ph, t->offset = k0 * unit * C;
            for (int i = 0; i < 4; i++) t->kw[i] = -1;
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const int64_t k = kw * d / s / unit;
                if (kw * d % s == ph && k >= k0 && k < k0 + 4) t->kw[k - k0] = kw;
            }
            if (t->offset > max_offset) max_offset = t->offset;
        }
    }
    /* the widest column segment whose quad lines fit the ring and whose padded line fits */
    for (int64_t seg = g->ow; seg >= 1; seg = seg > 8 ? seg * 7 / 8 : seg - 1) {
        p->seg_ow = seg, p->owc = seg * C;
        p->nq = (p->owc + max_offset + 31) / 16 * 16; /* the chunks' reads, in whole 16-quad builds */
        p->line_px = (p->nq + 3 * p->quad_stride + 16 + C - 1) / C;
        if (p->slots * s * p->nq * 4 <= PML_DWROWS_RING_BYTES && p->line_px * C + 64 <= PML_DWROWS_LINE_BYTES)
            return 1;
    }
    return 0;
}

size_t pml_dwrows_packed_bytes(const pml_conv_geom *g) {
    pml_dwrows_plan p;
    if (!pml_dwrows_plan_make(g, &p)) return 0;
    const size_t ext = (size_t)(p.C + PML_DWROWS_EXT);
    return pml_dwrows_arrays_offset() + (7 + (size_t)(g->kh * p.quads)) * ext * 4;
}

void pml_dwrows_pack(const pml_conv_geom *g, void *packed) {
    pml_dwrows_packed *out = (pml_dwrows_packed *)((uint8_t *)packed + pml_dwrows_offset(g));
    pml_dwrows_plan p;
    if (!pml_dwrows_plan_make(g, &p)) return;
    memset(out, 0, sizeof *out);
    out->plan = p;
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = p.C, pairs = h->kp / 2, ext = C + PML_DWROWS_EXT;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    int32_t *a = (int32_t *)((uint8_t *)out + pml_dwrows_arrays_offset());
    int32_t *wq = a + 7 * ext;
    for (int64_t c = 0; c < C; c++) {
        const int16_t *wc = w + (c / 16) * pairs * 32 + (c % 16 / 8) * 16 + (c % 8) * 2; /* tap t at wc[t/2*32 + t%2] */
        uint32_t sum = 0;
        for (int64_t kh = 0; kh < g->kh; kh++)
            for (int64_t q = 0; q < p.quads; q++) {
                uint32_t quad = 0;
                for (int l = 0; l < 4; l++) {
                    if (p.quad[q].kw[l] < 0) continue;
                    const int64_t t = kh * g->kw + p.quad[q].kw[l];
                    const int16_t v = wc[(t / 2) * 32 + t % 2];
                    if (v < -128 || v > 127) return; /* ok stays 0: the kernel declines */
                    quad |= (uint32_t)(uint8_t)(int8_t)v << (8 * l);
                    sum += (uint32_t)(int32_t)v;
                }
                wq[(kh * p.quads + q) * ext + c] = (int32_t)quad;
            }
        a[c] = (int32_t)((uint32_t)ep.bias[c] - 128u * sum); /* x = u - 128 */
        a[ext + c] = ep.multiplier[c], a[2 * ext + c] = ep.lshift[c], a[3 * ext + c] = ep.rshift[c];
        a[4 * ext + c] = ep.rmask[c], a[5 * ext + c] = ep.rhalf[c];
        memcpy(&a[6 * ext + c], &ep.scale[c], 4);
    }
    for (int64_t r = 0; r < 7 + g->kh * p.quads; r++) /* entries C.. repeat channels 0.. */
        for (int64_t i = C; i < ext; i++) a[r * ext + i] = a[r * ext + i % C];
    out->ok = 1;
}
