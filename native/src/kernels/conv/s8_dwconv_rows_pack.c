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

/* A quad of kernel taps kw in quad line `line` at byte offset `offset`, lane l tap kw[l]. */
static int add_quad(pml_dwrows_plan *p, int64_t line, int64_t offset) {
    if (p->quads == PML_DWROWS_MAX_QUADS) return -1;
    pml_dwrows_quad *t = &p->quad[p->quads];
    t->line = line, t->offset = offset;
    for (int i = 0; i < 4; i++) t->kw[i] = -1;
    return (int)p->quads++;
}

/* The quad lines and quads of a kernel row (see s8_dwconv_rows.h); 0 when they do not fit. */
static int plan_quads(const pml_conv_geom *g, pml_dwrows_plan *p) {
    const int64_t C = p->C, s = p->s, d = g->dw;
    if (s == 1 || 4 % s == 0) { /* one quad line: lane l at pixel s*k + l*d (phase l % s, pixel k + l / s) */
        const int64_t step = s == 1 ? d : 1;
        p->lines = 1;
        for (int l = 0; l < 4; l++) p->src[0].phase[l] = l * step % s, p->src[0].offset[l] = l * step / s * C;
        /* tap kw: lane kw % 4 of the quad at output pixel + (kw / 4) * 4 * step / s */
        for (int64_t k0 = 0; k0 < g->kw; k0 += 4) {
            const int t = add_quad(p, 0, k0 * step / s * C);
            if (t < 0) return 0;
            for (int64_t kw = k0; kw < g->kw && kw < k0 + 4; kw++) p->quad[t].kw[kw - k0] = kw;
        }
        return 1;
    }
    p->lines = s; /* a quad line per phase: tap kw (dilation 1) in line kw % s at pixel kw / s */
    for (int64_t ph = 0; ph < s; ph++) {
        for (int l = 0; l < 4; l++) p->src[ph].phase[l] = ph, p->src[ph].offset[l] = l * C;
        for (int64_t k0 = 0; k0 * s + ph < g->kw; k0 += 4) {
            const int t = add_quad(p, ph, k0 * C);
            if (t < 0) return 0;
            for (int64_t kw = ph; kw < g->kw; kw += s)
                if (kw / s >= k0 && kw / s < k0 + 4) p->quad[t].kw[kw / s - k0] = kw;
        }
    }
    return 1;
}

int pml_dwrows_plan_make(const pml_conv_geom *g, pml_dwrows_plan *p) {
    const int64_t C = g->cout, s = g->sw;
    memset(p, 0, sizeof *p);
    if (!pml_qs8_dwconv_eligible(g) || C > PML_DWROWS_MAX_C || g->kh > PML_DWROWS_MAX_KH ||
        s > PML_DWROWS_MAX_STRIDE || (s > 1 && g->dw > 1) || (g->kh - 1) * g->dh + 1 > PML_DWROWS_MAX_SLOTS ||
        g->ow < 1)
        return 0;
    p->C = C, p->s = s;
    p->slots = (g->kh - 1) * g->dh + 1;
    p->period = C * (16 / gcd16(C));
    if (!plan_quads(g, p)) return 0;
    int64_t max_offset = 0, max_src = 0;
    for (int64_t t = 0; t < p->quads; t++)
        if (p->quad[t].offset > max_offset) max_offset = p->quad[t].offset;
    for (int64_t i = 0; i < p->lines; i++)
        for (int l = 0; l < 4; l++)
            if (p->src[i].offset[l] > max_src) max_src = p->src[i].offset[l];
    /* the widest column segment whose quad lines fit the ring and whose phase lines fit */
    for (int64_t seg = g->ow; seg >= 1; seg = seg > 8 ? seg * 7 / 8 : seg - 1) {
        p->seg_ow = seg, p->owc = seg * C;
        p->nq = (p->owc + max_offset + 31) / 16 * 16; /* the chunks' reads, in whole 16-quad builds */
        p->line_px = (p->nq + max_src + 16 + C - 1) / C;
        if (p->slots * p->lines * p->nq * 4 <= PML_DWROWS_RING_BYTES &&
            s * (p->line_px * C + 64) <= PML_DWROWS_LINE_BYTES)
            return 1;
    }
    return 0;
}

size_t pml_dwrows_packed_bytes(const pml_conv_geom *g) {
    pml_dwrows_plan p;
    if (!pml_dwrows_plan_make(g, &p)) return 0;
    return pml_dwrows_arrays_offset() + pml_dwrows_rq64_offset(&p, g->kh) +
           4 * (size_t)pml_dwrows_rq64_entries(&p) * sizeof(int64_t);
}

/* The one-step requantization's constants (s8_dwconv_rows.h) and whether it applies: the
 * GEMM packing's check and constants (s8_gemm.h), after the small accumulators' (|acc| < 2^30,
 * no left shift, right shifts >= 1). */
static void pack_rq64(const pml_dwrows_plan *p, const pml_qs8_epilogue *ep, pml_dwrows_packed *out, int64_t *rq,
                      const int32_t *mult, const int32_t *rshift) {
    out->fast_rq = out->small_acc ? pml_qs8_floor64_kind(ep->zero_point, ep->qmin, p->C, mult, NULL, rshift)
                                  : PML_QS8_FLOOR64_NONE;
    if (out->fast_rq != PML_QS8_FLOOR64_NONE)
        pml_qs8_floor64_cycling(rshift, p->C, ep->zero_point, pml_dwrows_rq64_entries(p), rq);
}

static pml_dwrows_packed *layout(const pml_conv_geom *g, void *packed) {
    return (pml_dwrows_packed *)((uint8_t *)packed + pml_dwrows_offset(g));
}

size_t pml_dwrows_scratch_bytes(const pml_conv_geom *g, const void *packed) {
    if (!pml_dwrows_packed_bytes(g)) return 0;
    const pml_dwrows_packed *lay = layout(g, (void *)packed);
    if (!lay->ok) return 0;
    const pml_dwrows_plan *p = &lay->plan;
    const size_t ring = (size_t)(p->slots * p->lines * p->nq * 4), lines = (size_t)(p->s * (p->line_px * p->C + 64));
    return (ring + 63) / 64 * 64 + (lines + 63) / 64 * 64 + (size_t)p->slots * sizeof(int64_t) + 64;
}

int pml_dwrows_set_x_u8(const pml_conv_geom *g, void *packed) {
    if (!pml_dwrows_packed_bytes(g) || !layout(g, packed)->ok) return 0;
    layout(g, packed)->x_u8 = 1;
    return 1;
}

void pml_dwrows_pack(const pml_conv_geom *g, void *packed) {
    pml_dwrows_packed *out = layout(g, packed);
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
    /* no accumulator reaches 2^30 (|bias''| + taps * 255 * 128: u8 x s8 products) and every
     * channel shifts right without a left shift: the cheaper rounding of s8_requant__avx512.h */
    const int64_t limit = (int64_t)1 << 30, prods = g->kh * g->kw * 255 * 128;
    out->small_acc = ep.mode == PML_REQUANT_FIXED_POINT;
    for (int64_t c = 0; c < C; c++) {
        const int64_t b = a[c] < 0 ? -(int64_t)a[c] : (int64_t)a[c];
        if (a[2 * ext + c] != 0 || a[3 * ext + c] < 1 || b + prods >= limit) out->small_acc = 0;
    }
    for (int64_t r = 0; r < 7 + g->kh * p.quads; r++) /* entries C.. repeat channels 0.. */
        for (int64_t i = C; i < ext; i++) a[r * ext + i] = a[r * ext + i % C];
    pack_rq64(&p, &ep, out, (int64_t *)((uint8_t *)a + pml_dwrows_rq64_offset(&p, g->kh)), a + ext, a + 3 * ext);
    out->ok = 1;
}
