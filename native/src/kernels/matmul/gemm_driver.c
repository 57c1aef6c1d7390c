/*
 * kernels/matmul/gemm_driver.c — the ISA-independent half of the f32 GEMM engine: B
 * packing and the blocked/threaded driver that calls a micro-kernel (the
 * kernel table comes from the session's configuration, kernels/config.c).
 * The packed layout and the blocking are described in gemm.h.
 */
#include <string.h>

#include "kernels/matmul/gemm.h"
#include "kernels/matmul/gemm_tasks.h"

/* ---- packing ---------------------------------------------------------------------------- */

int64_t pml_gemm_kc(int64_t k) {
    if (k <= PML_GEMM_KC_MAX) return k > 0 ? k : 1;
    /* equal blocks, so no K block is a sliver */
    int64_t nkb = (k + PML_GEMM_KC_MAX - 1) / PML_GEMM_KC_MAX;
    return (k + nkb - 1) / nkb;
}

void pml_gemm_pack_b(const float *b, int64_t k, int64_t n, int64_t stride_k, int64_t stride_n, float alpha,
                     const float *bias, int64_t bias_stride, float bias_scale, float *out) {
    const int64_t kc = pml_gemm_kc(k), n_pad = pml_gemm_n_pad(n);
    for (int64_t k0 = 0; k0 < k; k0 += kc) {
        const int64_t kcb = k - k0 < kc ? k - k0 : kc;
        for (int64_t p = 0; p < n_pad / PML_GEMM_NR; p++) {
            float *dst = out + k0 * n_pad + p * kcb * PML_GEMM_NR;
            for (int64_t kk = 0; kk < kcb; kk++)
                for (int64_t j = 0; j < PML_GEMM_NR; j++) {
                    const int64_t col = p * PML_GEMM_NR + j;
                    dst[kk * PML_GEMM_NR + j] = col < n ? alpha * b[(k0 + kk) * stride_k + col * stride_n] : 0.0f;
                }
        }
    }
    float *pb = out + k * n_pad;
    for (int64_t j = 0; j < n_pad; j++) pb[j] = bias && j < n ? bias_scale * bias[j * bias_stride] : 0.0f;
}

/* ---- driver ------------------------------------------------------------------------------ */

/* Rows of A per M block: the block (mb x kc floats) is what a task keeps in
 * L2 while every B panel of the K block passes over it. */
#define PML_GEMM_A_BLOCK_BYTES (96 * 1024)
/* Tasks per thread the split aims at, for balance (the int8 driver's QS8_TASKS_PER_THREAD is 2) */
#define GEMM_TASKS_PER_THREAD 4

typedef struct gemm_plan {
    int64_t kc, nkb, n_pad, n_panels;
    pml_gemm_split sp;          /* the tasks: batch x M blocks x N blocks */
    size_t scratch_floats;      /* per thread */
} gemm_plan;

static void gemm_plan_make(const pml_f32_kernels *kern, const pml_gemm_problem *p, int threads, gemm_plan *pl) {
    const int64_t mr = (int64_t)kern->gemm_mr;
    pl->kc = pml_gemm_kc(p->k);
    pl->nkb = p->k > 0 ? pml_ceil_div(p->k, pl->kc) : 1;
    pl->n_pad = pml_gemm_n_pad(p->n);
    pl->n_panels = pl->n_pad / PML_GEMM_NR;
    int64_t mb = PML_GEMM_A_BLOCK_BYTES / (pl->kc * (int64_t)sizeof(float)) / mr * mr;
    if (mb < 4 * mr) mb = 4 * mr;
    /* scratch is sized for the largest block any thread count would use */
    pl->scratch_floats = p->pack_a ? (size_t)(mb * pl->kc + 15) / 16 * 16 : 0;
    pl->sp = pml_gemm_split_make(p->batch, p->m, mr, mb, pl->n_panels, threads, GEMM_TASKS_PER_THREAD);
}

size_t pml_gemm_scratch_floats(const pml_f32_kernels *kern, const pml_gemm_problem *p) {
    gemm_plan pl;
    gemm_plan_make(kern, p, 1, &pl);
    return pl.scratch_floats;
}

typedef struct gemm_job {
    const pml_f32_kernels *kern;
    const pml_gemm_problem *p;
    gemm_plan pl;
    float *scratch;
} gemm_job;

static void gemm_task(void *arg, int64_t task, int thread) {
    const gemm_job *job = (const gemm_job *)arg;
    const pml_gemm_problem *p = job->p;
    const gemm_plan *pl = &job->pl;
    const size_t mr_max = job->kern->gemm_mr;
    const int64_t per_batch = pl->sp.m_blocks * pl->sp.n_blocks;
    const int64_t batch = task / per_batch;
    int64_t m0, mb, p0, p1;
    pml_gemm_split_rows(&pl->sp, task % per_batch / pl->sp.n_blocks, &m0, &mb);
    pml_gemm_split_panels(&pl->sp, task % pl->sp.n_blocks, &p0, &p1);

    const float *a = p->a, *b = p->packed_b;
    float *c = p->c;
    if (p->batch_ptrs) p->batch_ptrs(p->cb_ctx, batch, &a, &b, &c);
    const float *bias = b + p->k * pl->n_pad;
    const pml_activation *act = p->act.kind != PML_ACT_NONE || p->act.has_sum ? &p->act : NULL;
    float *abuf = pml_f32_offset(job->scratch, (size_t)thread * pl->scratch_floats); /* NULL without pack_a */

    for (int64_t kb = 0; kb < pl->nkb; kb++) {
        const int64_t k0 = kb * pl->kc, kcb = p->k - k0 < pl->kc ? p->k - k0 : pl->kc;
        const float *ablk;
        int64_t lda;
        if (p->pack_a) {
            p->pack_a(p->cb_ctx, batch, m0, mb, k0, kcb, abuf, pl->kc);
            ablk = abuf;
            lda = pl->kc;
        } else {
            ablk = a + m0 * p->lda + k0;
            lda = p->lda;
        }
        const int first = kb == 0, last = kb == pl->nkb - 1;
        for (int64_t pn = p0; pn < p1; pn++) {
            const float *w = b + k0 * pl->n_pad + pn * kcb * PML_GEMM_NR;
            const size_t nr = (size_t)(p->n - pn * PML_GEMM_NR < PML_GEMM_NR ? p->n - pn * PML_GEMM_NR : PML_GEMM_NR);
            const float *init = first && !p->accumulate ? bias + pn * PML_GEMM_NR : NULL;
            float *cp = c + m0 * p->ldc + pn * PML_GEMM_NR;
            pml_activation panel_act; /* PRelu slopes of this panel's columns */
            const pml_activation *pact = act;
            if (act && act->slope) {
                panel_act = *act;
                panel_act.slope += batch * p->batch_cols + pn * PML_GEMM_NR;
                pact = &panel_act;
            }
            for (int64_t i = 0; i < mb; i += (int64_t)mr_max) {
                const size_t mr = (size_t)(mb - i) < mr_max ? (size_t)(mb - i) : mr_max;
                pml_f32_gemm_ukernel uk = mr == 1 ? job->kern->gemm_1 : job->kern->gemm;
                uk(mr, nr, (size_t)kcb, ablk + i * lda, (size_t)lda, w, init, cp + i * p->ldc, (size_t)p->ldc,
                   last ? pact : NULL);
            }
        }
    }
}

void pml_gemm_run(const pml_f32_kernels *kern, const pml_gemm_problem *p, pml_threadpool *pool, float *scratch) {
    if (p->m <= 0 || p->n <= 0 || p->batch <= 0) return;
    gemm_job job;
    job.kern = kern;
    job.p = p;
    job.scratch = scratch;
    gemm_plan_make(kern, p, pool ? pml_threadpool_size(pool) : 1, &job.pl);
    pml_parallel_for(pool, p->batch * job.pl.sp.m_blocks * job.pl.sp.n_blocks, gemm_task, &job);
}
