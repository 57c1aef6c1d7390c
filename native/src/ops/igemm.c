/*
 * ops/igemm.c — packed B operands of the integer GEMM (see igemm.h).
 */
#include "igemm.h"
#include "kernels/config.h"

#define ALIGN_UP(x) (((x) + PML_ALIGN - 1) / PML_ALIGN * PML_ALIGN)

typedef struct igemm_packed {
    int64_t k, n;
    pml_igemm_b b;
} igemm_packed;

size_t pml_igemm_b_bytes(int64_t k, int64_t n) {
    return ALIGN_UP((size_t)k * (size_t)n * sizeof(int16_t)) + ALIGN_UP((size_t)n * sizeof(int32_t));
}

pml_igemm_b pml_igemm_b_at(void *mem, int64_t k, int64_t n) {
    pml_igemm_b b = {(int16_t *)mem, (int32_t *)((char *)mem + ALIGN_UP((size_t)k * (size_t)n * sizeof(int16_t))),
                     NULL};
    return b;
}

pml_status pml_igemm_pack_const(pml_kernel_ctx *ctx, pml_igemm_pack_fn pack_fn, const void *b, int64_t k, int64_t n,
                                size_t sk, size_t sn, const void *zb, size_t zb_stride) {
    const size_t head = ALIGN_UP(sizeof(igemm_packed)), bytes = head + pml_igemm_b_bytes(k, n);
    igemm_packed *pk = (igemm_packed *)pml_aligned_alloc(bytes);
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing %lld x %lld integer weights",
                                   (long long)k, (long long)n);
    pk->k = k, pk->n = n;
    pk->b = pml_igemm_b_at((char *)pk + head, k, n);
    pack_fn((size_t)k, (size_t)n, b, sk, sn, zb, zb_stride, pk->b.cols, pk->b.colsum);
    ctx->packed = pk;
    ctx->packed_size = bytes;
    return PML_OK;
}

pml_status pml_igemm_pack_const_quads(pml_kernel_ctx *ctx, pml_igemm_quad_pack_fn quad_pack, const void *b, int64_t k,
                                      int64_t n, size_t sk, size_t sn) {
    const size_t kq = ((size_t)k + 3) / 4 * 4, n_pad = ((size_t)n + 15) / 16 * 16;
    const size_t head = ALIGN_UP(sizeof(igemm_packed)), panels = ALIGN_UP(kq * n_pad);
    const size_t bytes = head + panels + ALIGN_UP(n_pad * sizeof(int32_t));
    igemm_packed *pk = (igemm_packed *)pml_aligned_alloc(bytes);
    if (!pk) return pml_node_error(ctx, PML_ERR_OUT_OF_MEMORY, "out of memory packing %lld x %lld integer weights",
                                   (long long)k, (long long)n);
    pk->k = k, pk->n = n;
    pk->b.cols = NULL;
    pk->b.quads = (int8_t *)((char *)pk + head);
    pk->b.colsum = (int32_t *)((char *)pk + head + panels);
    quad_pack((size_t)k, (size_t)n, b, sk, sn, pk->b.quads, pk->b.colsum);
    ctx->packed = pk;
    ctx->packed_size = bytes;
    return PML_OK;
}

int pml_igemm_quads_apply(const pml_kernel_ctx *ctx, const pml_tensor *a, const pml_tensor *b, const pml_tensor *zb) {
    const pml_matmul_typed *ta = ctx->config->typed.matmul[a->dtype], *tb = ctx->config->typed.matmul[b->dtype];
    if (b->dtype != PML_INT8 || !ta || !ta->igemm_quad || !tb || !tb->igemm_quad_pack) return 0;
    if (!zb) return 1;
    if (!zb->is_const || !zb->data || zb->dtype != PML_INT8) return 0;
    const int8_t *z = (const int8_t *)zb->data;
    for (int64_t i = 0, n = pml_shape_numel(zb->rank, zb->dims); i < n; i++)
        if (z[i]) return 0;
    return 1;
}

pml_status pml_igemm_kernels(const pml_kernel_ctx *ctx, pml_igemm_fn *gemm, pml_igemm_pack_fn *pack) {
    const pml_dtype da = ctx->in[0]->dtype, db = ctx->in[1]->dtype;
    const pml_matmul_typed *ta = ctx->config->typed.matmul[da], *tb = ctx->config->typed.matmul[db];
    *gemm = ta ? ta->igemm : NULL;
    *pack = tb ? tb->igemm_pack : NULL;
    if (!*gemm || !*pack)
        return pml_node_error(ctx, PML_ERR_UNSUPPORTED,
                              "no integer GEMM for %s and %s operands (supported: int8, uint8)", pml_dtype_name(da),
                              pml_dtype_name(db));
    return PML_OK;
}

const pml_igemm_b *pml_igemm_packed(const pml_kernel_ctx *ctx, int64_t k, int64_t n) {
    const igemm_packed *pk = (const igemm_packed *)ctx->packed;
    return pk && pk->k == k && pk->n == n ? &pk->b : NULL;
}

void pml_igemm_unpack(pml_kernel_ctx *ctx) {
    pml_aligned_free(ctx->packed);
    ctx->packed = NULL;
    ctx->packed_size = 0;
}
