/*
 * kernels/conv/s8_dwconv_pairs_pack.c — the AVX2 row-vectorised int8 depthwise conv's plan
 * and weight layout (kernels/conv/s8_dwconv_pairs.h), built from the depthwise packing.
 */
#include <string.h>

#include "kernels/conv/s8_dwconv_pairs.h"

int pml_dwpairs_plan_make(const pml_conv_geom *g, pml_dwpairs_plan *p) {
    const int64_t C = g->cout, s = g->sw, d = g->dw;
    memset(p, 0, sizeof *p);
    if (!pml_qs8_dwconv_eligible(g) || C > PML_DWPAIRS_MAX_C || g->kh > PML_DWPAIRS_MAX_KH ||
        s > PML_DWPAIRS_MAX_STRIDE || (s > 1 && d > 1) || (g->kh - 1) * g->dh + 1 > PML_DWPAIRS_MAX_SLOTS ||
        g->ow < 1)
        return 0;
    const int64_t unit = s == 1 ? d : 1; /* a phase line's tap spacing, in pixels */
    p->C = C, p->s = s, p->pair_stride = unit * C;
    p->slots = (g->kh - 1) * g->dh + 1;
    p->period = C % 8 == 0 ? C : C % 4 == 0 ? 2 * C : C % 2 == 0 ? 4 * C : 8 * C;
    int64_t max_offset = 0;
    for (int64_t ph = 0; ph < s; ph++) {
        int64_t kmax = -1; /* tap kw sits in line kw*d % s at pixel kw*d / s: the unit-th k */
        for (int64_t kw = 0; kw < g->kw; kw++)
            if (kw * d % s == ph && kw * d / s / unit > kmax) kmax = kw * d / s / unit;
        for (int64_t k0 = 0; k0 <= kmax; k0 += 2) {
            if (p->pairs == PML_DWPAIRS_MAX_PAIRS) return 0;
            pml_dwpairs_pair *t = &p->pair[p->pairs++];
            t->phase = ph, t->offset = k0 * unit * C;
            t->kw[0] = t->kw[1] = -1;
            for (int64_t kw = 0; kw < g->kw; kw++) {
                const int64_t k = kw * d / s / unit;
                if (kw * d % s == ph && k >= k0 && k < k0 + 2) t->kw[k - k0] = kw;
            }
            if (t->offset > max_offset) max_offset = t->offset;
        }
    }
    for (int64_t seg = g->ow; seg >= 1; seg = seg > 8 ? seg * 7 / 8 : seg - 1) {
        p->seg_ow = seg, p->owc = seg * C;
        p->np = (p->owc + 7 + max_offset + 15) / 16 * 16; /* whole 8-byte chunks at every pair's offset */
        p->line_px = (p->np + p->pair_stride + 16 + C - 1) / C;
        if (p->slots * s * p->np * 4 <= PML_DWPAIRS_RING_BYTES && p->line_px * C + 64 <= PML_DWPAIRS_LINE_BYTES)
            return 1;
    }
    return 0;
}

size_t pml_dwpairs_packed_bytes(const pml_conv_geom *g) {
    pml_dwpairs_plan p;
    if (!pml_dwpairs_plan_make(g, &p)) return 0;
    const size_t ext = (size_t)(p.C + PML_DWPAIRS_EXT);
    return pml_dwpairs_arrays_offset() + (7 + (size_t)(g->kh * p.pairs)) * ext * 4;
}

size_t pml_dwpairs_scratch_bytes(const pml_conv_geom *g, const void *packed) {
    if (!pml_dwpairs_packed_bytes(g)) return 0;
    const pml_dwpairs_packed *lay = (const pml_dwpairs_packed *)((const uint8_t *)packed + pml_dwpairs_offset(g));
    if (!lay->ok) return 0;
    const pml_dwpairs_plan *p = &lay->plan;
    const size_t ring = (size_t)(p->slots * p->s * p->np * 4), line = (size_t)(p->line_px * p->C + 64);
    return (ring + 63) / 64 * 64 + (line + 63) / 64 * 64 + (size_t)p->slots * sizeof(int64_t) + 64; /* + alignment */
}

void pml_dwpairs_pack(const pml_conv_geom *g, void *packed) {
    pml_dwpairs_packed *out = (pml_dwpairs_packed *)((uint8_t *)packed + pml_dwpairs_offset(g));
    pml_dwpairs_plan p;
    if (!pml_dwpairs_plan_make(g, &p)) return;
    memset(out, 0, sizeof *out);
    out->plan = p;
    const pml_qs8_packed_header *h = pml_qs8_header(packed);
    const int64_t C = p.C, pairs = h->kp / 2, ext = C + PML_DWPAIRS_EXT;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + sizeof(pml_qs8_packed_header));
    const pml_qs8_epilogue ep = pml_qs8_panel_epilogue(packed, pml_qs8_dwconv_data_bytes(g), 0);
    int32_t *a = (int32_t *)((uint8_t *)out + pml_dwpairs_arrays_offset());
    int32_t *wp = a + 7 * ext;
    for (int64_t c = 0; c < C; c++) {
        const int16_t *wc = w + (c / 16) * pairs * 32 + (c % 16 / 8) * 16 + (c % 8) * 2; /* tap t at wc[t/2*32 + t%2] */
        for (int64_t kh = 0; kh < g->kh; kh++)
            for (int64_t j = 0; j < p.pairs; j++) {
                uint32_t dword = 0;
                for (int l = 0; l < 2; l++) {
                    if (p.pair[j].kw[l] < 0) continue;
                    const int64_t t = kh * g->kw + p.pair[j].kw[l];
                    dword |= (uint32_t)(uint16_t)wc[(t / 2) * 32 + t % 2] << (16 * l);
                }
                wp[(kh * p.pairs + j) * ext + c] = (int32_t)dword;
            }
        a[c] = ep.bias[c];
        a[ext + c] = ep.multiplier[c], a[2 * ext + c] = ep.lshift[c], a[3 * ext + c] = ep.rshift[c];
        a[4 * ext + c] = ep.rmask[c], a[5 * ext + c] = ep.rhalf[c];
        memcpy(&a[6 * ext + c], &ep.scale[c], 4);
    }
    /* no accumulator reaches 2^30 (|bias'| + taps * 128 * 255: int8 x w' products, |w'| <= 255)
     * and every channel shifts right without a left shift: the cheaper rounding of s8_requant__avx2.h */
    const int64_t limit = (int64_t)1 << 30, prods = g->kh * g->kw * 128 * 255;
    out->small_acc = ep.mode == PML_REQUANT_FIXED_POINT;
    for (int64_t c = 0; c < C; c++) {
        const int64_t b = a[c] < 0 ? -(int64_t)a[c] : (int64_t)a[c];
        if (a[2 * ext + c] != 0 || a[3 * ext + c] < 1 || b + prods >= limit) out->small_acc = 0;
    }
    for (int64_t r = 0; r < 7 + g->kh * p.pairs; r++) /* entries C.. repeat channels 0.. */
        for (int64_t i = C; i < ext; i++) a[r * ext + i] = a[r * ext + i % C];
    out->ok = 1;
}
