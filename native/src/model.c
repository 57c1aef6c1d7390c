/*
 * model.c — loads a .pml file, verifies it completely, and decodes it into
 * the internal structs of internal.h (see model.h for ownership). This file: the
 * header and checksum, the model-owned allocator, the loader entry points; the
 * FlatBuffer graph is decoded by model_decode.c and its meaning checked by
 * model_verify.c.
 *
 * Order of trust: (1) the 64-byte header against the real byte count,
 * (2) the CRC-32 over everything but the checksum field, (3) the remaining
 * header offsets, (4) the FlatBuffer structure through the bounds-checked
 * reader (fb_reader.c), (5) the graph's meaning: dtypes, shapes, buffers,
 * tensor indices, single producers, topological order, graph inputs/outputs,
 * and finally (6) that every op is implemented here with a valid arity.
 * Structural checks come before op availability so a malformed file is
 * reported as malformed even by a build missing some kernels.
 *
 * Files are memory-mapped read-only and used in place (model_source.c: a heap
 * copy only where mapping is impossible): the checksum reads every byte once,
 * and then the weights live in the page cache once instead of also in a private
 * copy. The price is that a loaded model's file must not be rewritten in place.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "model_load.h"

/* ---- header and checksum ------------------------------------------------------------ */

static uint64_t rd64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

uint32_t pml_file_checksum(const uint8_t *buf, size_t size) {
    uint32_t crc = pml_crc32(0, buf, size < PML_CHECKSUM_OFFSET ? size : PML_CHECKSUM_OFFSET);
    if (size > PML_HEADER_SIZE) crc = pml_crc32(crc, buf + PML_HEADER_SIZE, size - PML_HEADER_SIZE);
    return crc;
}

pml_status pml_file_verify_header(const uint8_t *buf, size_t size, pml_file_header *h) {
    return pml_file_verify_header_crc(buf, size, pml_file_checksum(buf, size), h);
}

pml_status pml_file_verify_header_crc(const uint8_t *buf, size_t size, uint32_t crc, pml_file_header *h) {
    if (size >= 8 && memcmp(buf, PML_MAGIC, 8) != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "not a .pml file: magic bytes are %02x %02x %02x %02x %02x %02x %02x %02x, expected "
                             "\"POCKETML\"",
                             buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
    if (size < PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: %zu bytes is smaller than the %u-byte header",
                             size, PML_HEADER_SIZE);
    h->format_version = rd32(buf + 8);
    h->header_size = rd32(buf + 12);
    h->file_size = rd64(buf + 16);
    h->graph_offset = rd64(buf + 24);
    h->graph_size = rd64(buf + 32);
    h->weights_offset = rd64(buf + 40);
    h->weights_size = rd64(buf + 48);
    h->flags = rd32(buf + 56);
    h->checksum = rd32(buf + 60);

    if (h->format_version == 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: format version 0 is invalid");
    if (h->format_version > PML_FORMAT_VERSION)
        return pml_set_error(PML_ERR_UNSUPPORTED,
                             "file has format version %u; this runtime reads versions up to %u (upgrade pocketml)",
                             h->format_version, PML_FORMAT_VERSION);
    if (h->header_size != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: header_size is %u, expected %u", h->header_size,
                             PML_HEADER_SIZE);
    if (h->file_size > size)
        return pml_set_error(PML_ERR_INVALID_MODEL, "file truncated: header says %llu bytes, got %zu",
                             (unsigned long long)h->file_size, size);
    if (h->file_size < size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "file has %zu bytes but its header says %llu (trailing bytes or a corrupted header)",
                             size, (unsigned long long)h->file_size);
    if (crc != h->checksum)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "checksum mismatch: file is corrupted (stored 0x%08x, computed 0x%08x)", h->checksum,
                             crc);
    if (h->flags & ~PML_KNOWN_FEATURES)
        return pml_set_error(PML_ERR_UNSUPPORTED,
                             "header: the file requires features 0x%08x this runtime does not implement (it knows "
                             "0x%08x: quantized tensors); upgrade pocketml",
                             h->flags & ~PML_KNOWN_FEATURES, PML_KNOWN_FEATURES);
    if (h->graph_offset != PML_HEADER_SIZE)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: graph_offset is %llu, expected %u",
                             (unsigned long long)h->graph_offset, PML_HEADER_SIZE);
    if (h->graph_size == 0 || h->graph_size > size - h->graph_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: graph section [%llu, +%llu bytes) does not fit in the %zu-byte file",
                             (unsigned long long)h->graph_offset, (unsigned long long)h->graph_size, size);
    if (h->weights_offset % PML_ALIGN != 0)
        return pml_set_error(PML_ERR_INVALID_MODEL, "header: weights_offset %llu is not a multiple of %d",
                             (unsigned long long)h->weights_offset, PML_ALIGN);
    if (h->weights_offset < h->graph_offset + h->graph_size || h->weights_offset > size)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights_offset %llu must lie between the end of the graph (%llu) and the end "
                             "of the file (%zu)",
                             (unsigned long long)h->weights_offset,
                             (unsigned long long)(h->graph_offset + h->graph_size), size);
    if (h->weights_size != size - h->weights_offset)
        return pml_set_error(PML_ERR_INVALID_MODEL,
                             "header: weights section [%llu, +%llu bytes) must end at the end of the file (%zu bytes)",
                             (unsigned long long)h->weights_offset, (unsigned long long)h->weights_size, size);
    return PML_OK;
}

/* ---- loading --------------------------------------------------------------------------- */

/* pml_file_checksum of a source, chunk by chunk: a mapped file's chunks leave the resident
 * set once summed, so verifying a large model does not make all of it resident at once
 * (what the decoder and the sessions read is faulted back in; the rest stays on disk). */
#define PML_CHECKSUM_CHUNK ((size_t)4 << 20)
static uint32_t checksum_source(const pml_model_source *src) {
    const uint8_t *buf = src->bytes;
    size_t size = src->size;
    /* only weights are dropped: the graph section (decoded next, its strings used in place)
     * stays. The header is not verified yet, so its weights_offset is only a hint here. */
    uint64_t weights = size >= PML_HEADER_SIZE ? rd64(buf + 40) : size;
    uint32_t crc = pml_crc32(0, buf, size < PML_CHECKSUM_OFFSET ? size : PML_CHECKSUM_OFFSET);
    for (size_t off = PML_HEADER_SIZE; off < size; off += PML_CHECKSUM_CHUNK) {
        size_t n = size - off < PML_CHECKSUM_CHUNK ? size - off : PML_CHECKSUM_CHUNK;
        crc = pml_crc32(crc, buf + off, n);
        if (off >= weights) pml_source_drop_pages(src, buf + off, n);
        else if (off + n > weights) pml_source_drop_pages(src, buf + weights, off + n - (size_t)weights);
    }
    return crc;
}

void pml_model_drop_packed_inputs(const pml_model *m, const pml_node *n) {
    for (int k = 0; k < n->n_inputs; k++) {
        const pml_tensor *t = n->inputs[k] >= 0 ? &m->tensors[n->inputs[k]] : NULL;
        if (t && t->is_const && t->data) pml_source_drop_pages(&m->source, t->data, t->nbytes);
    }
}

/* Takes ownership of src (released here on failure, by pml_model_destroy otherwise). */
static pml_status load_source(pml_model_source *src, pml_model **out) {
    pml_model *m = calloc(1, sizeof *m);
    if (!m) {
        pml_source_release(src);
        return pml_model_oom("model");
    }
    m->source = *src;
    m->file = src->bytes;
    m->file_size = src->size;
    pml_status s = pml_file_verify_header_crc(m->file, m->file_size, checksum_source(src), &m->header);
    if (s == PML_OK) {
        m->weights = m->file + m->header.weights_offset;
        m->copy_budget = (size_t)m->header.graph_size * 2 + 65536;
        s = pml_model_decode_graph(m);
    }
    if (s != PML_OK) {
        pml_model_destroy(m);
        return s;
    }
    m->weight_loads = 1;
    *out = m;
    return PML_OK;
}

pml_status pml_model_open_buffer(const void *data, size_t size, pml_model **out) {
    pml_model_source src;
    pml_status s = pml_source_copy(data, size, &src);
    return s == PML_OK ? load_source(&src, out) : s;
}

pml_status pml_model_open_buffer_in_place(const void *data, size_t size, pml_model **out) {
    pml_model_source src;
    pml_status s = pml_source_borrow(data, size, &src);
    return s == PML_OK ? load_source(&src, out) : s;
}

/* POCKETML_NO_MMAP=1 reads files into a heap copy instead of mapping them (for file
 * systems where a map is unwelcome, and to measure the difference). */
static int mapping_allowed(void) {
    const char *v = getenv("POCKETML_NO_MMAP");
    return !(v && *v && strcmp(v, "0") != 0);
}

pml_status pml_model_open_file(const char *path, pml_model **out) {
    pml_model_source src;
    pml_status s = pml_source_open_file(path, mapping_allowed(), &src);
    return s == PML_OK ? load_source(&src, out) : s;
}

void pml_model_destroy(pml_model *m) {
    if (!m) return;
    pml_model_pool_free(m);
    pml_source_release(&m->source);
    free(m);
}
